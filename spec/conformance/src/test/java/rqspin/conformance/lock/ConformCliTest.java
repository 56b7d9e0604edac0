package rqspin.conformance.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import rqspin.conformance.Conform;

/** {@code spec/conform} on bad input about rqspinlock: one line on stderr, exit code 2, before any TLC run. */
class ConformCliTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "reproduce rq_no_such_model   | unknown model: rq_no_such_model",
        "reproduce rq_v619_safety     | no finding among",
        "reproduce rq_mut_typeok      | no finding among",
        "validate rq_v619_tasks --runs 0 | --runs must be positive",
        "simulate rq_v619_tas_virt    | is not a passing model",
        "replay 'rq_nothing_*'        | no model matches",
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
