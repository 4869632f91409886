// The service of Spring Python's Hessian test, in TypeScript: transform("Greg
// Turnquist a,b,c,x,y,z") returns a Person bean. The result is marked as an
// instance of the Java class example.Person, so a Java client gets a Person.
import { hessian } from "remoting";

export interface Person {
  firstName: string;
  lastName: string;
  attributes: string[];
}

export class PersonService {
  transform(text: string): Person {
    const [firstName = "", lastName = "", attributes = ""] = text.split(" ");
    return hessian.object<Person>("example.Person", { firstName, lastName, attributes: attributes.split(",") });
  }

  greet(name: string): string {
    return `Hello from TypeScript, ${name}`;
  }
}
