// The server half of the seed's split example: the service class, named in
// server.xml as `server.Service`. There is no main: `npx remoting run
// server.xml` creates the context (the seed's `ApplicationContext(XMLConfig("server.xml"))`)
// and serves until Ctrl-C.
export class Service {
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
}
