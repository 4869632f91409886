package example;

/** The service's interface, as a Java client or server sees it. */
public interface PersonService {
    Person transform(String text);
    String greet(String name);
}
