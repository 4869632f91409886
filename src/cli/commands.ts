/**
 * Protocol-specific CLI commands: `remoting ns` (Pyro name server) and
 * `remoting pki` (sample certificates).
 */
import type { Command } from "commander";
import { installPyroCommands } from "../protocols/pyro4/cli.js";
import { installPkiCommand } from "./pki.js";
import type { CliIo } from "./main.js";

export type CommandInstaller = (program: Command, io: CliIo) => void;

export const extraCommands: CommandInstaller[] = [installPyroCommands, installPkiCommand];
