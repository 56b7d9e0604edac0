package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON reader/writer round trip and the TLA+ value diff the traces use. */
class JsonAndValueTest {

    @Test
    void jsonRoundTrip() throws Exception {
        String text = "{\"a\": [1, 2.5, \"x\\n\\\"y\\\"\", true, null], \"b\": {\"c\": {\"d\": -3}}}";
        Object v = Json.parse(text);
        assertEquals(v, Json.parse(Json.write(v)));
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(java.util.Arrays.asList(1L, 2.5, "x\n\"y\"", true, null), m.get("a"));
    }

    @Test
    void jsonErrorsSayWhere() {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("{\n  \"a\": tru }"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertThrows(Json.ParseException.class, () -> Json.parse("{\"a\": 1, \"a\": 2}"));
        assertThrows(Json.ParseException.class, () -> Json.parse("[1] 2"));
    }

    @Test
    void valueDiffGoesDownToChangedLeaves() {
        TlaValue a = TlaValue.parse("(c1 :> [locked |-> 0, next |-> NULL] @@ c2 :> [locked |-> 0, next |-> NULL])");
        TlaValue b = TlaValue.parse("(c1 :> [locked |-> 1, next |-> NULL] @@ c2 :> [locked |-> 0, next |-> <<c1, 2>>])");
        assertEquals(List.of(new TlaValue.Change("node[c1].locked", "0", "1"),
                        new TlaValue.Change("node[c2].next", "NULL", "<<c1, 2>>")),
                TlaValue.diff("node", a, b));
    }

    @Test
    void tuplesAreDiffedByOneBasedIndexAndSetsWhole() {
        assertEquals(List.of(new TlaValue.Change("held[2]", "L1", "L2")),
                TlaValue.diff("held", TlaValue.parse("<<L0, L1>>"), TlaValue.parse("<<L0, L2>>")));
        assertEquals(List.of(new TlaValue.Change("s", "{1, 2}", "{1}")),
                TlaValue.diff("s", TlaValue.parse("{1, 2}"), TlaValue.parse("{1}")));
        assertEquals(List.of(new TlaValue.Change("t", "<<1>>", "<<1, 2>>")),
                TlaValue.diff("t", TlaValue.parse("<<1>>"), TlaValue.parse("<<1, 2>>")));
    }

    @Test
    void unknownSyntaxStaysOneLeaf() {
        TlaValue v = TlaValue.parse("1..3 \\X   {2}");
        assertEquals("1..3 \\X {2}", v.toString());
        assertEquals("\"a \\\"q\\\" b\"", TlaValue.parse("\"a \\\"q\\\" b\"").toString());
    }
}
