package rqspin.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The interleaving diagram of an error trace, as kernel reviewers draw one:
 * one column per CPU (rqspinlock; an interrupt's steps are nested inside its
 * CPU's column) or per process (local storage: each process stands for a
 * CPU), one row per step with the kernel function and the values that
 * matter, the return value of every attempt, and, for a liveness violation,
 * a last row that says per column where it is stuck, on what, and why
 * nobody will change it.
 *
 * <p>A {@link TraceDiagrams} adapter builds it from a trace; {@link #text}
 * renders it as plain text for a mail (at most {@link #MAIL_WIDTH} columns for
 * three columns), {@link DiagramSvg} as a picture. Both renderings are
 * deterministic, so a generated page can be compared with its trace.
 *
 * @param title    the first line: model, verdict and variant
 * @param summary  one line that tells the whole trace
 * @param legend   how to read the values (one line each)
 * @param columns  the columns, left to right
 * @param rows     the steps, first to last
 * @param ending   what follows the last step (the loop of a liveness trace, the property violated)
 * @param stuck    for a liveness violation, per column id, why it never moves again (empty otherwise)
 */
public record Diagram(String title, String summary, List<String> legend, List<Column> columns, List<Row> rows,
                      List<String> ending, Map<String, List<Line>> stuck) {

    /** Mail width: a three-column diagram fits in it. */
    public static final int MAIL_WIDTH = 100;
    /** The widest a cell grows when there are few columns. */
    static final int MAX_CELL = 46;

    public Diagram {
        legend = List.copyOf(legend);
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
        ending = List.copyOf(ending);
        stuck = new LinkedHashMap<>(stuck);
    }

    /** A column: its id (a CPU, a process) and its heading. */
    public record Column(String id, String label) {}

    /** How a line is shown (the SVG colours by it; the text keeps only the words). */
    public enum Style {
        /** a kernel function entered, e.g. {@code res_spin_lock(A)} */
        CALL,
        /** the step: the kernel function or operation that runs */
        STEP,
        /** a value the step wrote or read */
        VALUE,
        /** a return value */
        RETURN,
        /** a failure, a WARN, a use after free: what the trace is about */
        ALARM,
        /** a context or process that never moves again */
        STUCK
    }

    /** One line of a cell, indented by {@code indent} levels (an interrupt nests inside its CPU). */
    public record Line(String text, int indent, Style style) {
        public static Line of(String text, Style style) {
            return new Line(text, 0, style);
        }
    }

    /**
     * One step of the trace.
     *
     * @param label  TLC's state number
     * @param action the spec's action name (kept for the JSON form)
     * @param cells  column id to its lines (absent: nothing happened there)
     */
    public record Row(String label, String action, Map<String, List<Line>> cells) {}

    // ---------------------------------------------------------------- layout shared by text and SVG

    /** A row after wrapping: per column, its lines cut to the cell width. */
    record Laid(String label, List<List<Line>> cells, boolean stuckRow) {
        int height() {
            int h = 1;
            for (List<Line> c : cells) {
                h = Math.max(h, c.size());
            }
            return h;
        }
    }

    int labelWidth() {
        int w = 2;
        for (Row r : rows) {
            w = Math.max(w, r.label().length());
        }
        return w + 1;
    }

    /** The cell width for {@code width} columns of text. */
    int cellWidth(int width) {
        int n = Math.max(1, columns.size());
        int avail = width - labelWidth() - 3 * (n - 1);
        return Math.max(12, Math.min(MAX_CELL, avail / n));
    }

    List<Laid> layout(int cellWidth) {
        List<Laid> out = new ArrayList<>();
        for (Row r : rows) {
            List<List<Line>> cells = new ArrayList<>();
            for (Column c : columns) {
                cells.add(wrapAll(r.cells().getOrDefault(c.id(), List.of()), cellWidth));
            }
            out.add(new Laid(r.label(), cells, false));
        }
        if (!stuck.isEmpty()) {
            List<List<Line>> cells = new ArrayList<>();
            for (Column c : columns) {
                cells.add(wrapAll(stuck.getOrDefault(c.id(), List.of()), cellWidth));
            }
            out.add(new Laid("", cells, true));
        }
        return out;
    }

    static List<Line> wrapAll(List<Line> lines, int width) {
        List<Line> out = new ArrayList<>();
        for (Line l : lines) {
            int pad = 2 * l.indent();
            List<String> parts = wrap(l.text(), Math.max(6, width - pad), Math.max(6, width - pad - 2));
            for (int i = 0; i < parts.size(); i++) {
                out.add(new Line((i == 0 ? "" : "  ") + parts.get(i), l.indent(), l.style()));
            }
        }
        return out;
    }

    /** Word wrap: the first line up to {@code first} characters, the others up to {@code rest}. */
    static List<String> wrap(String text, int first, int rest) {
        List<String> out = new ArrayList<>();
        String t = text.strip();
        int w = first;
        while (t.length() > w) {
            int cut = t.lastIndexOf(' ', w);
            if (cut <= w / 3) {
                // no good space: break after an underscore, an arrow or a comma, else hard
                cut = -1;
                for (int i = w - 1; i > w / 3; i--) {
                    char ch = t.charAt(i - 1);
                    if (ch == '_' || ch == ',' || ch == '>' || ch == '/' || ch == '.') {
                        cut = i;
                        break;
                    }
                }
                if (cut < 0) {
                    cut = w;
                }
                out.add(t.substring(0, cut));
                t = t.substring(cut).strip();
            } else {
                out.add(t.substring(0, cut));
                t = t.substring(cut + 1).strip();
            }
            w = rest;
        }
        out.add(t);
        return out;
    }

    // ---------------------------------------------------------------- text

    /** The diagram as plain text at most {@link #MAIL_WIDTH} columns wide (for three columns or fewer). */
    public String text() {
        return text(MAIL_WIDTH);
    }

    /** The diagram as plain text for {@code width} columns. */
    public String text(int width) {
        int lw = labelWidth();
        int cw = cellWidth(width);
        StringBuilder b = new StringBuilder();
        for (String t : wrap(title, width, width - 2)) {
            b.append(t).append('\n');
        }
        for (String l : legend) {
            for (String t : wrap(l, width, width - 2)) {
                b.append(t).append('\n');
            }
        }
        b.append('\n');
        StringBuilder head = new StringBuilder(" ".repeat(lw));
        StringBuilder sep = new StringBuilder("-".repeat(lw));
        for (int i = 0; i < columns.size(); i++) {
            head.append(i > 0 ? " | " : "").append(pad(columns.get(i).label(), cw));
            sep.append(i > 0 ? "-+-" : "").append("-".repeat(cw));
        }
        b.append(head.toString().stripTrailing()).append('\n').append(sep).append('\n');
        for (Laid r : layout(cw)) {
            if (r.stuckRow()) {
                b.append(sep).append('\n');
            }
            for (int i = 0; i < r.height(); i++) {
                StringBuilder line = new StringBuilder(pad(i == 0 ? r.label() : "", lw));
                for (int c = 0; c < r.cells().size(); c++) {
                    List<Line> cell = r.cells().get(c);
                    String s = i < cell.size() ? "  ".repeat(cell.get(i).indent()) + cell.get(i).text() : "";
                    line.append(c > 0 ? " | " : "").append(pad(s, cw));
                }
                b.append(line.toString().stripTrailing()).append('\n');
            }
        }
        if (!ending.isEmpty()) {
            b.append('\n');
            for (String l : ending) {
                for (String t : wrap(l, width, width - 2)) {
                    b.append(t).append('\n');
                }
            }
        }
        return b.toString();
    }

    static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    // ---------------------------------------------------------------- JSON

    /** The diagram as JSON (the trace file's {@code diagram} member). */
    public Map<String, Object> json() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("title", title);
        o.put("summary", summary);
        List<Object> cols = new ArrayList<>();
        for (Column c : columns) {
            Map<String, Object> co = new LinkedHashMap<>();
            co.put("id", c.id());
            co.put("label", c.label());
            cols.add(co);
        }
        o.put("columns", cols);
        List<Object> rs = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> ro = new LinkedHashMap<>();
            ro.put("state", r.label());
            ro.put("action", r.action());
            Map<String, Object> cells = new LinkedHashMap<>();
            r.cells().forEach((k, v) -> cells.put(k, lines(v)));
            ro.put("cells", cells);
            rs.add(ro);
        }
        o.put("rows", rs);
        o.put("ending", ending);
        if (!stuck.isEmpty()) {
            Map<String, Object> st = new LinkedHashMap<>();
            stuck.forEach((k, v) -> st.put(k, lines(v)));
            o.put("stuck", st);
        }
        return o;
    }

    private static List<Object> lines(List<Line> ls) {
        List<Object> out = new ArrayList<>();
        for (Line l : ls) {
            out.add("  ".repeat(l.indent()) + l.text());
        }
        return out;
    }
}
