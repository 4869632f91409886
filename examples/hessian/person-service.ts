/**
 * The service of the original Spring Python Hessian test: transform("Greg
 * Turnquist a,b,c,x,y,z") returns a Person bean.
 */
export class Person {
  firstName = "";
  lastName = "";
  attributes: string[] = [];
}

export class PersonService {
  transform(text: string): Person {
    const [firstName = "", lastName = "", attributes = ""] = text.split(" ");
    return Object.assign(new Person(), { firstName, lastName, attributes: attributes.split(",") });
  }

  greet(name: string): string {
    return `Hello, ${name}`;
  }
}
