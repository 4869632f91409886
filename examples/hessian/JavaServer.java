package example;

import com.caucho.hessian.server.HessianSkeleton;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * Serves PersonService with Caucho's HessianSkeleton on the JDK's HTTP server
 * at http://127.0.0.1:PORT/. Prints one line once listening; stops when its
 * standard input closes. Usage: java example.JavaServer PORT
 */
public class JavaServer {
    static class Impl implements PersonService {
        public Person transform(String text) {
            String[] parts = text.split(" ");
            Person p = new Person();
            p.firstName = parts[0];
            p.lastName = parts[1];
            p.attributes = new ArrayList<>(Arrays.asList(parts[2].split(",")));
            return p;
        }

        public String greet(String name) {
            return "Hello from Java, " + name;
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        HessianSkeleton skeleton = new HessianSkeleton(new Impl(), PersonService.class);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", (HttpExchange ex) -> {
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                skeleton.invoke(new ByteArrayInputStream(ex.getRequestBody().readAllBytes()), out);
                byte[] reply = out.toByteArray();
                ex.getResponseHeaders().set("Content-Type", "x-application/hessian");
                ex.sendResponseHeaders(200, reply.length);
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(reply);
                }
            } catch (Throwable t) {
                ex.sendResponseHeaders(500, -1);
            } finally {
                ex.close();
            }
        });
        server.start();
        System.out.println("Java server listening at http://127.0.0.1:" + port + "/");
        System.out.flush();
        while (System.in.read() != -1) {
            // runs until the parent closes stdin
        }
        server.stop(0);
    }
}
