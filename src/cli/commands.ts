/**
 * Protocol-specific CLI commands (`remoting pki`, `remoting ns`), added by
 * the protocols that provide them.
 */
import type { Command } from "commander";
import type { CliIo } from "./main.js";

export type CommandInstaller = (program: Command, io: CliIo) => void;

export const extraCommands: CommandInstaller[] = [];
