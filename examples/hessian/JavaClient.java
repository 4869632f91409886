package example;

import com.caucho.hessian.client.HessianProxyFactory;

/** An unmodified Caucho Hessian client. Usage: java example.JavaClient URL */
public class JavaClient {
    public static void main(String[] args) throws Exception {
        HessianProxyFactory factory = new HessianProxyFactory();
        PersonService service = (PersonService) factory.create(PersonService.class, args[0]);
        System.out.println("Java client: transform -> " + service.transform("Greg Turnquist a,b,c,x,y,z"));
        System.out.println("Java client: greet -> " + service.greet("Java"));
    }
}
