package rqspin.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every name of rqspin code in model/jpf (the {@code target} of each .jpf
 * file, and the classes, fields and methods of the {@code vm.shared.*}
 * scheduling settings, in the .jpf files and in lock-por.properties) names
 * something that exists. JPF does not check them: a setting whose class was
 * renamed matches nothing, and the harness silently loses its reduction (or,
 * for a target, fails only under {@code -Pjpf}).
 */
class JpfConfigNamesTest {
    private static final Path DIR = Path.of("jpf");
    private static final String[] KEYS = {"vm.shared.never_break_fields", "vm.shared.never_break_methods",
        "vm.shared.never_break_types"};

    @Test
    void everyRqspinNameInTheJpfSettingsExists() throws IOException {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path f : files()) {
            Properties p = load(f);
            String target = p.getProperty("target");
            if (target != null) {
                checked++;
                checkMain(f, target.trim(), problems);
            }
            for (String key : KEYS) {
                String v = p.getProperty(key);
                if (v == null) {
                    continue;
                }
                // a ';' escaped with '`' belongs to the value (an array type's descriptor)
                for (String entry : v.replace("`;", "\uE000").split("[,;]")) {
                    String e = entry.trim().replace('\uE000', ';');
                    if (e.startsWith("rqspin.") || e.startsWith("[Lrqspin.")) {
                        checked++;
                        check(f, key, e, problems);
                    }
                }
            }
        }
        assertTrue(checked > 100, "names checked: " + checked);
        assertEquals(List.of(), problems);
    }

    @Test
    void theCheckSeesAStaleName() {
        List<String> problems = new ArrayList<>();
        check(DIR.resolve("x.jpf"), "vm.shared.never_break_methods", "rqspin.storage.Rcu.*", problems);
        check(DIR.resolve("x.jpf"), "vm.shared.never_break_fields", "rqspin.lock.RqSpinLock.nosuchfield", problems);
        check(DIR.resolve("x.jpf"), "vm.shared.never_break_methods", "rqspin.nosuchpackage.*.*", problems);
        assertEquals(3, problems.size(), problems.toString());
        assertFalse(problems.get(0).isEmpty());
    }

    private static List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            List<Path> out = new ArrayList<>();
            s.filter(p -> p.toString().endsWith(".jpf") || p.toString().endsWith(".properties")).sorted()
                    .forEach(out::add);
            assertTrue(out.size() > 10, "the .jpf files in " + DIR.toAbsolutePath());
            return out;
        }
    }

    private static Properties load(Path f) throws IOException {
        Properties p = new Properties();
        try (Reader r = new StringReader(Files.readString(f))) {
            p.load(r);
        }
        return p;
    }

    private static void checkMain(Path f, String target, List<String> problems) {
        try {
            Method m = Class.forName(target).getMethod("main", String[].class);
            if (!Modifier.isStatic(m.getModifiers())) {
                problems.add(f.getFileName() + ": target " + target + " has no static main");
            }
        } catch (ReflectiveOperationException e) {
            problems.add(f.getFileName() + ": target " + target + ": " + e);
        }
    }

    /** One entry of a vm.shared setting: a type (maybe an array), or Class.member with * as a wildcard. */
    static void check(Path f, String key, String entry, List<String> problems) {
        String where = f.getFileName() + " " + key + ": " + entry;
        if (key.endsWith("types")) {
            String name = entry.startsWith("[L") ? entry.substring(2, entry.length() - 1) : entry;
            if (!classExists(name)) {
                problems.add(where + ": no class " + name);
            }
            return;
        }
        int dot = entry.lastIndexOf('.');
        String cls = entry.substring(0, dot);
        String member = entry.substring(dot + 1);
        if (cls.endsWith(".*")) {
            String pkg = cls.substring(0, cls.length() - 2).replace('.', '/');
            if (JpfConfigNamesTest.class.getClassLoader().getResource(pkg + "/") == null) {
                problems.add(where + ": no package " + pkg);
            }
            return;
        }
        Class<?> c;
        try {
            c = Class.forName(cls);
        } catch (ClassNotFoundException e) {
            problems.add(where + ": no class " + cls);
            return;
        }
        if (member.equals("*")) {
            return;
        }
        boolean found = key.endsWith("fields")
                ? Arrays.stream(c.getDeclaredFields()).anyMatch(x -> x.getName().equals(member))
                : Arrays.stream(c.getDeclaredMethods()).anyMatch(x -> x.getName().equals(member));
        if (!found) {
            problems.add(where + ": " + cls + " declares no " + (key.endsWith("fields") ? "field " : "method ") + member);
        }
    }

    private static boolean classExists(String name) {
        try {
            Class.forName(name);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
