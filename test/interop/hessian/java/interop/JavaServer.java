package interop;

import com.caucho.hessian.server.HessianSkeleton;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * Serves TestApi with Caucho's HessianSkeleton on the JDK's built-in HTTP
 * server at http://127.0.0.1:PORT/test. Prints "PORT n" once listening and
 * exits when its standard input closes.
 */
public class JavaServer {
    static class Impl implements TestApi {
        public String echoString(String s) { return s; }
        public int echoInt(int v) { return v; }
        public long echoLong(long v) { return v; }
        public double echoDouble(double v) { return v; }
        public boolean echoBool(boolean v) { return v; }
        public byte[] echoBytes(byte[] v) { return v; }
        public Date echoDate(Date v) { return v; }
        public List<Object> echoList(List<Object> v) { return v; }
        public Map<Object, Object> echoMap(Map<Object, Object> v) { return v; }
        public Object echo(Object v) { return v; }
        public String typeOf(Object v) { return v == null ? "null" : v.getClass().getName(); }
        public Sample echoSample(Sample s) { return s; }
        public Sample makeSample() {
            Sample s = new Sample();
            s.count = 42;
            s.big = 9007199254740993L;
            s.ratio = 0.25;
            s.flag = true;
            s.text = "caf\u00e9 \ud83d\ude00";
            s.when = new Date(1700000000123L);
            s.data = new byte[] {1, 2, 3};
            s.tags = new ArrayList<>(Arrays.asList("x", "y"));
            s.scores = new HashMap<>();
            s.scores.put("a", 1);
            s.owner = transform("Ann Lee q");
            return s;
        }
        public Person transform(String s) {
            String[] parts = s.split(" ");
            Person p = new Person();
            p.firstName = parts[0];
            p.lastName = parts[1];
            p.attributes = new ArrayList<>(Arrays.asList(parts[2].split(",")));
            return p;
        }
        public String fail(String message) { throw new IllegalStateException(message); }
        public int add(int a, int b) { return a + b; }
        public double add(double a, double b) { return a + b; }
        public String notImplemented() { return "java"; }
    }

    public static void main(String[] args) throws Exception {
        HessianSkeleton skeleton = new HessianSkeleton(new Impl(), TestApi.class);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/test", (HttpExchange ex) -> {
            try {
                if (!"POST".equals(ex.getRequestMethod())) {
                    byte[] msg = "<h1>Hessian Requires POST</h1>".getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(500, msg.length);
                    ex.getResponseBody().write(msg);
                    return;
                }
                byte[] body;
                try (InputStream in = ex.getRequestBody()) {
                    body = in.readAllBytes();
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try {
                    skeleton.invoke(new ByteArrayInputStream(body), out);
                } catch (Throwable t) {
                    byte[] msg = String.valueOf(t).getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(500, msg.length);
                    ex.getResponseBody().write(msg);
                    return;
                }
                byte[] reply = out.toByteArray();
                ex.getResponseHeaders().set("Content-Type", "x-application/hessian");
                ex.sendResponseHeaders(200, reply.length);
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(reply);
                }
            } finally {
                ex.close();
            }
        });
        server.start();
        System.out.println("PORT " + server.getAddress().getPort());
        System.out.flush();
        while (System.in.read() != -1) {
            // wait for the parent to close stdin
        }
        server.stop(0);
        System.exit(0);
    }
}
