package rqspin.spec;

import java.util.List;
import java.util.Locale;

/**
 * The interleaving diagram as a picture: a self-contained SVG (no script, no
 * external font or file; nothing but the JDK to make it), laid out like the
 * text form (same columns, same wrapped lines), with a band per step, a
 * lifeline per column, failures and returns in colour, and the stuck row of a
 * liveness violation in red. Deterministic: the same diagram gives the same
 * bytes.
 */
public final class DiagramSvg {
    private DiagramSvg() {}

    static final double CHAR = 7.2;
    static final int LINE = 15;
    static final int PAD = 12;

    /** The SVG document of {@code d}. */
    public static String of(Diagram d) {
        int cw = d.cellWidth(Diagram.MAIL_WIDTH);
        int lw = d.labelWidth();
        List<Diagram.Laid> rows = d.layout(cw);
        int n = d.columns().size();
        double colW = cw * CHAR + 16;
        double x0 = PAD + lw * CHAR + 6;
        double width = x0 + n * colW + PAD;
        int textCols = (int) ((width - 2 * PAD) / CHAR);
        List<String> head = new java.util.ArrayList<>();
        head.addAll(Diagram.wrap(d.title(), textCols, textCols));
        List<String> summary = Diagram.wrap(d.summary(), textCols, textCols);
        List<String> legend = new java.util.ArrayList<>();
        for (String l : d.legend()) {
            legend.addAll(Diagram.wrap(l, textCols, textCols));
        }
        List<String> ending = new java.util.ArrayList<>();
        for (String l : d.ending()) {
            ending.addAll(Diagram.wrap(l, textCols, textCols));
        }
        int bodyLines = 0;
        for (Diagram.Laid r : rows) {
            bodyLines += r.height();
        }
        double headerH = PAD + LINE * (head.size() + summary.size() + legend.size()) + 10;
        double colHeadY = headerH;
        double bodyY = colHeadY + LINE + 14;
        double height = bodyY + bodyLines * LINE + rows.size() * 6 + 10 + ending.size() * LINE + PAD;

        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(num(width)).append("\" height=\"")
                .append(num(height)).append("\" viewBox=\"0 0 ").append(num(width)).append(' ').append(num(height))
                .append("\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"12\">\n");
        b.append("<title>").append(esc(d.title())).append("</title>\n");
        b.append("<style>.call{fill:#1f4e9a;font-weight:bold}.step{fill:#111}.value{fill:#555}")
                .append(".return{fill:#1a7f37;font-weight:bold}.alarm{fill:#c4001a;font-weight:bold}")
                .append(".stuck{fill:#c4001a}.head{font-weight:bold;fill:#111}.note{fill:#333}</style>\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        double y = PAD + 11;
        for (String t : head) {
            text(b, PAD, y, t, "head");
            y += LINE;
        }
        for (String t : summary) {
            text(b, PAD, y, t, "note");
            y += LINE;
        }
        for (String t : legend) {
            text(b, PAD, y, t, "value");
            y += LINE;
        }
        // column heads and lifelines
        double bottom = bodyY + bodyLines * LINE + rows.size() * 6;
        for (int c = 0; c < n; c++) {
            double cx = x0 + c * colW;
            b.append("<rect x=\"").append(num(cx + 2)).append("\" y=\"").append(num(colHeadY)).append("\" width=\"")
                    .append(num(colW - 4)).append("\" height=\"").append(LINE + 6)
                    .append("\" rx=\"3\" fill=\"#e8eef8\" stroke=\"#8aa0c8\"/>\n");
            text(b, cx + 8, colHeadY + LINE, clip(d.columns().get(c).label(), cw), "head");
            b.append("<line x1=\"").append(num(cx + colW / 2)).append("\" y1=\"").append(num(colHeadY + LINE + 6))
                    .append("\" x2=\"").append(num(cx + colW / 2)).append("\" y2=\"").append(num(bottom))
                    .append("\" stroke=\"#d0d7e2\" stroke-dasharray=\"3,3\"/>\n");
        }
        y = bodyY;
        int k = 0;
        for (Diagram.Laid r : rows) {
            double h = r.height() * LINE + 6;
            String fill = r.stuckRow() ? "#fde8e8" : k++ % 2 == 0 ? "#f6f8fa" : "#ffffff";
            b.append("<rect x=\"").append(PAD).append("\" y=\"").append(num(y)).append("\" width=\"")
                    .append(num(width - 2 * PAD)).append("\" height=\"").append(num(h)).append("\" fill=\"").append(fill)
                    .append("\" fill-opacity=\"0.85\"/>\n");
            text(b, PAD + 2, y + LINE - 1, r.stuckRow() ? "end" : r.label(), "head");
            for (int c = 0; c < n; c++) {
                double cx = x0 + c * colW + 8;
                List<Diagram.Line> cell = r.cells().get(c);
                for (int i = 0; i < cell.size(); i++) {
                    Diagram.Line l = cell.get(i);
                    text(b, cx + l.indent() * 2 * CHAR, y + LINE * (i + 1) - 1, l.text(),
                            l.style().name().toLowerCase(Locale.ROOT));
                }
            }
            y += h;
        }
        y += 10;
        for (String t : ending) {
            text(b, PAD, y + 11, t, t.startsWith("=>") ? "alarm" : "note");
            y += LINE;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static void text(StringBuilder b, double x, double y, String s, String cls) {
        b.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" class=\"").append(cls)
                .append("\" xml:space=\"preserve\">").append(esc(s)).append("</text>\n");
    }

    private static String clip(String s, int w) {
        return s.length() <= w ? s : s.substring(0, Math.max(1, w - 1)) + "~";
    }

    static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
