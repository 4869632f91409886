package interop;

/**
 * Calls to our TypeScript exporter beyond TestApi: a method called with the
 * wrong number of arguments (the service's add takes two), and what the
 * service sees of the call (its call context).
 */
public interface Extras {
    /** The service's add(a, b), called with one argument. */
    int add(int a);
    /** "protocol serializer service method" as the service's callContext() reports them. */
    String whoCalls();
}
