// The seed's service: a plain class, no remoting code.
export class Service {
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
}
