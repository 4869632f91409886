package example;

import java.io.Serializable;
import java.util.List;

/** The bean of Spring Python's Hessian test: transform(String) returns one. */
public class Person implements Serializable {
    private static final long serialVersionUID = 1L;
    public String firstName;
    public String lastName;
    public List<String> attributes;

    @Override
    public String toString() {
        return "Person{firstName=" + firstName + ", lastName=" + lastName + ", attributes=" + attributes + "}";
    }
}
