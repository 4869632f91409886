package interop;

import java.io.Serializable;
import java.util.List;

/** The bean of the original Spring Python Hessian test: transform(String) returns it. */
public class Person implements Serializable {
    private static final long serialVersionUID = 1L;
    public String firstName;
    public String lastName;
    public List<String> attributes;

    @Override
    public String toString() {
        return "Person{" + firstName + " " + lastName + " " + attributes + "}";
    }
}
