package interop;

import java.util.Date;
import java.util.List;
import java.util.Map;

/** The service both sides implement: the Java server serves it, the Java client calls it. */
public interface TestApi {
    String echoString(String s);
    int echoInt(int v);
    long echoLong(long v);
    double echoDouble(double v);
    boolean echoBool(boolean v);
    byte[] echoBytes(byte[] v);
    Date echoDate(Date v);
    List<Object> echoList(List<Object> v);
    Map<Object, Object> echoMap(Map<Object, Object> v);
    Object echo(Object v);
    /** The Java class name of the argument as received ("null" for null). */
    String typeOf(Object v);
    Sample echoSample(Sample s);
    Sample makeSample();
    Person transform(String s);
    String fail(String message);
    int add(int a, int b);
    double add(double a, double b);
    /** Not implemented by the TypeScript service (unknown method). */
    String notImplemented();
}
