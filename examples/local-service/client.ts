// The seed's client: it asks the container for "service" and calls it. It does
// not know whether the service is local or remote: only the XML says.
import { ApplicationContext } from "remoting";

const xml = process.argv[2] ?? new URL("./applicationContext.xml", import.meta.url).pathname;
const appContext = await ApplicationContext.create(xml);
const service = await appContext.getObject<{ get_data(p: string): Promise<string> | string }>("service");
console.log(`CLIENT: ${await service.get_data("Hello")}`);
await appContext.close();
