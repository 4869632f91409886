package interop;

import com.caucho.hessian.client.HessianProxyFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * Calls a Hessian service implementing TestApi (our TypeScript exporter) with
 * Caucho's HessianProxyFactory and prints one JSON line per check:
 * {"name": "...", "ok": true|false, "detail": "..."}.
 * Usage: JavaClient URL
 */
public class JavaClient {
    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static void check(String name, Callable<String> body) {
        String failure;
        try {
            failure = body.call();
        } catch (Throwable t) {
            failure = "threw " + t;
        }
        if (failure != null && failure.length() > 300) failure = failure.substring(0, 300);
        System.out.println("{\"name\":" + json(name) + ",\"ok\":" + (failure == null) + ",\"detail\":" + json(failure == null ? "" : failure) + "}");
        System.out.flush();
    }

    static String expect(Object want, Object got) {
        return Objects.equals(want, got) ? null : "expected " + want + " (" + (want == null ? "null" : want.getClass().getName()) + "), got " + got + " (" + (got == null ? "null" : got.getClass().getName()) + ")";
    }

    static String bigString() {
        StringBuilder b = new StringBuilder();
        while (b.length() < 33000) b.append("h\u00e9llo \ud83d\ude00 \u65e5\u672c ");
        return b.toString();
    }

    static Throwable root(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    static void run(String prefix, TestApi api, boolean full) {
        check(prefix + "short string", () -> expect("h\u00e9llo", api.echoString("h\u00e9llo")));
        check(prefix + "add", () -> expect(5, api.add(2, 3)));
        // A Hessian 1.0 reply (asked for by setHessian2Reply(false)) is read by Caucho's client with its
        // Hessian 2 reader, so only values spelled the same in both versions work there.
        if (!full) return;
        String big = bigString();
        check(prefix + "string over 32k units with emoji", () -> expect(big, api.echoString(big)));
        check(prefix + "int boundaries", () -> {
            for (int v : new int[] {0, -16, 47, -2048, 2047, -262144, 262143, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
                String f = expect(v, api.echoInt(v));
                if (f != null) return f;
            }
            return null;
        });
        check(prefix + "long boundaries and beyond 2^53", () -> {
            for (long v : new long[] {0L, -8L, 15L, 2047L, 262143L, 2147483648L, 9007199254740993L, Long.MIN_VALUE, Long.MAX_VALUE}) {
                String f = expect(v, api.echoLong(v));
                if (f != null) return f;
            }
            return null;
        });
        check(prefix + "boxed types survive an Object slot", () -> {
            Object[] values = {7L, 9007199254740993L, 5, 3.0, 0.1, "s", true, new Date(60000L)};
            for (Object v : values) {
                String f = expect(v, api.echo(v));
                if (f != null) return f;
            }
            return expect(null, api.echo(null));
        });
        check(prefix + "doubles", () -> {
            for (double v : new double[] {0.0, 1.0, -128.0, 32767.0, 12.25, 0.1, 2147483.648, Math.PI, 1e300, Double.MAX_VALUE, Double.MIN_VALUE, Double.POSITIVE_INFINITY}) {
                String f = expect(v, api.echoDouble(v));
                if (f != null) return f;
            }
            return Double.isNaN(api.echoDouble(Double.NaN)) ? null : "NaN lost";
        });
        check(prefix + "booleans", () -> api.echoBool(true) && !api.echoBool(false) ? null : "boolean mismatch");
        check(prefix + "byte array over 64 KiB", () -> {
            byte[] b = new byte[70000];
            for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 31 + 7);
            return Arrays.equals(b, api.echoBytes(b)) ? null : "bytes differ";
        });
        check(prefix + "dates", () -> {
            String f = expect(new Date(1700000000123L), api.echoDate(new Date(1700000000123L)));
            return f != null ? f : expect(new Date(1700000040000L), api.echoDate(new Date(1700000040000L)));
        });
        check(prefix + "list", () -> {
            List<Object> l = new ArrayList<>(Arrays.asList(1, "two", 3.5, null, 9007199254740993L, new ArrayList<>(Arrays.asList("n"))));
            return expect(l, api.echoList(l));
        });
        check(prefix + "map with int and string keys", () -> {
            Map<Object, Object> m = new HashMap<>();
            m.put(1, "one");
            m.put("k", new ArrayList<>(Arrays.asList(1, 2)));
            return expect(m, api.echoMap(m));
        });
        check(prefix + "typed bean round trip", () -> {
            Sample s = new Sample();
            s.count = -3;
            s.big = Long.MAX_VALUE;
            s.ratio = 2.0;
            s.flag = true;
            s.text = "t\ud83d\ude00";
            s.when = new Date(0);
            s.data = new byte[] {9, 8};
            s.tags = new ArrayList<>(Arrays.asList("a"));
            s.scores = new HashMap<>();
            s.scores.put("z", 26);
            s.owner = new Person();
            s.owner.firstName = "Own";
            return expect(s, api.echoSample(s));
        });
        check(prefix + "typed bean made by the service", () -> {
            Sample s = api.makeSample();
            if (s.count != 42 || s.big != 9007199254740993L || s.ratio != 0.25 || !s.flag) return "bad scalars: " + s;
            if (!"caf\u00e9 \ud83d\ude00".equals(s.text) || s.when.getTime() != 1700000000123L || !Arrays.equals(new byte[] {1, 2, 3}, s.data)) return "bad values: " + s;
            if (!Arrays.asList("x", "y").equals(s.tags) || !Integer.valueOf(1).equals(s.scores.get("a"))) return "bad collections: " + s;
            return s.owner != null && "Ann".equals(s.owner.firstName) ? null : "bad owner: " + s;
        });
        check(prefix + "transform returns a Person bean", () -> {
            Person p = api.transform("Greg Turnquist a,b,c,x,y,z");
            if (!"Greg".equals(p.firstName) || !"Turnquist".equals(p.lastName)) return "bad names: " + p;
            return expect(Arrays.asList("a", "b", "c", "x", "y", "z"), p.attributes);
        });
        check(prefix + "service exception is rethrown as IllegalStateException", () -> {
            try {
                api.fail("boom <&>");
                return "no exception";
            } catch (IllegalStateException e) {
                return expect("boom <&>", e.getMessage());
            }
        });
        check(prefix + "unknown method is reported as NoSuchMethodException", () -> {
            try {
                api.notImplemented();
                return "no exception";
            } catch (Throwable t) {
                String all = t + " / " + root(t);
                return all.contains("NoSuchMethodException") || all.contains("no method named") ? null : "unexpected: " + all;
            }
        });
    }

    /** Checks of the exporter's call path: arity refused with IllegalArgumentException, the call context. */
    static void extras(String prefix, Extras x, String serializer) {
        check(prefix + "wrong argument count is rethrown as IllegalArgumentException", () -> {
            try {
                x.add(1);
                return "no exception";
            } catch (IllegalArgumentException e) {
                return e.getMessage() != null && e.getMessage().contains("add()") ? null : "unexpected message: " + e.getMessage();
            }
        });
        check(prefix + "the service sees the call context", () -> expect("hessian " + serializer + " /test whoCalls", x.whoCalls()));
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        HessianProxyFactory def = new HessianProxyFactory();
        def.setReadTimeout(20000);
        run("c2 ", (TestApi) def.create(TestApi.class, url), true);
        extras("c2 ", (Extras) def.create(Extras.class, url), "hessian1");

        HessianProxyFactory h2 = new HessianProxyFactory();
        h2.setHessian2Request(true);
        h2.setReadTimeout(20000);
        run("h2 ", (TestApi) h2.create(TestApi.class, url), true);
        extras("h2 ", (Extras) h2.create(Extras.class, url), "hessian2");

        HessianProxyFactory c1 = new HessianProxyFactory();
        c1.setHessian2Reply(false);
        c1.setReadTimeout(20000);
        run("c1 ", (TestApi) c1.create(TestApi.class, url), false);

        HessianProxyFactory ov = new HessianProxyFactory();
        ov.setOverloadEnabled(true);
        ov.setReadTimeout(20000);
        TestApi api = (TestApi) ov.create(TestApi.class, url);
        check("overloaded add(int,int)", () -> expect(5, api.add(2, 3)));
        check("overloaded add(double,double)", () -> expect(3.75, api.add(1.5, 2.25)));
        check("overload-enabled echoString", () -> expect("x", api.echoString("x")));
        System.out.println("{\"name\":\"done\",\"ok\":true,\"detail\":\"\"}");
    }
}
