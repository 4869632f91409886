// Hessian both ways with Caucho's Java Hessian (4.0.38):
//   1. a Java client calls our HessianServiceExporter (server.xml);
//   2. our HessianProxyFactory (client.xml, the seed's XML) calls a Java server.
// Needs a JDK (javac, java) and Caucho's hessian jar (Debian: libhessian-java;
// elsewhere set HESSIAN_JAR). The Java files are compiled into ./classes.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { promisify } from "node:util";
import { ApplicationContext, type Remote } from "remoting";
import type { PersonService } from "./person-service.js";

const run = promisify(execFile);
const URL_OF_BOTH = "http://127.0.0.1:8080/"; // server.xml and client.xml say the same
const PORT_OF_JAVA_SERVER = "8080";

const JAR = [process.env["HESSIAN_JAR"], "/usr/share/java/hessian.jar", "/usr/share/java/hessian-4.0.38.jar"].find((j) => j && existsSync(j));
// Caucho Hessian 4.0.38 reflects into JDK internals: JDK 17 needs these opened.
const ADD_OPENS = ["java.lang", "java.util", "java.math", "java.io", "java.net", "java.text", "java.util.concurrent", "java.lang.reflect"].flatMap((p) => ["--add-opens", `java.base/${p}=ALL-UNNAMED`]);

function java(mainClass: string, ...args: string[]): string[] {
  return [...ADD_OPENS, "-cp", `classes:${JAR}`, mainClass, ...args];
}

async function javaClientCallsOurExporter(): Promise<void> {
  const server = await ApplicationContext.create("server.xml");
  try {
    // execFile, not execFileSync: our exporter answers on this process's event loop.
    const { stdout } = await run("java", java("example.JavaClient", URL_OF_BOTH));
    process.stdout.write(stdout);
  } finally {
    await server.close();
  }
}

async function ourProxyCallsJavaServer(): Promise<void> {
  const javaServer: ChildProcess = spawn("java", java("example.JavaServer", PORT_OF_JAVA_SERVER), { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const [line] = (await once(javaServer.stdout!, "data")) as [Buffer];
    process.stdout.write(line.toString());
    const client = await ApplicationContext.create("client.xml");
    try {
      const personService = await client.getObject<Remote<PersonService>>("personService");
      // A Java bean arrives as a plain object with its fields (Spring Python got a dictionary).
      console.log(`TypeScript client: transform -> ${JSON.stringify(await personService.transform("Greg Turnquist a,b,c,x,y,z"))}`);
      console.log(`TypeScript client: greet -> ${await personService.greet("TypeScript")}`);
    } finally {
      await client.close();
    }
  } finally {
    javaServer.stdin!.end(); // the Java server stops when its input closes
    await once(javaServer, "exit");
  }
}

async function main(): Promise<void> {
  if (!JAR) throw new Error("Caucho's hessian jar was not found: install libhessian-java, or set HESSIAN_JAR");
  await run("javac", ["-nowarn", "-d", "classes", "-cp", JAR, "Person.java", "PersonService.java", "JavaClient.java", "JavaServer.java"]);
  await javaClientCallsOurExporter();
  await ourProxyCallsJavaServer();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
