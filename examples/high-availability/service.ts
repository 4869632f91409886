// The seed's service; each copy knows its name, so that the client can show
// which copy answered.
export class Service {
  constructor(private readonly copy: string) {}

  get_data(param: string): string {
    return `You got remote data => ${param} (from ${this.copy})`;
  }
}
