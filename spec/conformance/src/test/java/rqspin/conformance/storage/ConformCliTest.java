package rqspin.conformance.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import rqspin.conformance.Conform;

/** {@code spec/conform} on bad input about the local storage: one line on stderr, exit code 2, before any TLC run. */
class ConformCliTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "reproduce ls_no_such_model     | unknown model: ls_no_such_model",
        "reproduce ls_final_f0          | no finding among",
        "reproduce ls_mut_p1            | no finding among",
        "validate ls_final_f1 --runs 0  | --runs must be positive",
        "simulate ls_final_f1_uaf       | is not a passing model",
        "simulate ls_final_f0 --depth 0 | --behaviours and --depth must be positive",
        "replay 'ls_nothing_*'          | no model matches",
        "replay ls_final_dying_c10      | the Java twin cannot run it: scenario dying has late programs",
        "reproduce ls_final_dying_c10   | the Java twin cannot run it: scenario dying has late programs",
        "simulate ls_final_dying_f0     | the Java twin cannot run it: scenario dying has late programs",
        "validate ls_final_dying_f1     | the Java twin cannot run it: scenario dying has late programs",
    })
    void badInputIsOneLineAndExitCode2(String args, String message) {
        StringWriter err = new StringWriter();
        String[] argv = ("--manifest " + Conformance.SPEC.resolve("models.json") + " " + args.replace("'", ""))
                .trim().split("\\s+");
        int code = Conform.run(argv, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertEquals(2, code, err.toString());
        String out = err.toString().strip();
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.startsWith("conform: ") && out.contains(message), out);
    }
}
