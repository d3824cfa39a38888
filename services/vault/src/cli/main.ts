#!/usr/bin/env node
import { Command } from 'commander';
import { isVaultError } from '../domain/errors.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerRetention } from './commands/retention.js';
import { addAuditErasureCommand } from './commands/auditErasure.js';
import { addRotateEpochCommand } from './commands/rotateEpoch.js';
import { registerRotateMasterKey } from './commands/rotateMasterKey.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { addTrustedDocumentsCommand } from './commands/trustedDocuments.js';
import { registerVerifyCertificate } from './commands/verifyCertificate.js';

/** `vault <command>`: each command lives in cli/commands and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('vault').description('Personal-data vault: encrypted events, crypto-shredding, GDPR rights').showHelpAfterError();
  registerServe(program);
  registerToken(program);
  registerRebuild(program);
  registerRetention(program);
  registerRotateMasterKey(program);
  addRotateEpochCommand(program);
  addAuditErasureCommand(program);
  registerVerifyCertificate(program);
  addTrustedDocumentsCommand(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    // Stable code and a message that never carries personal data; no stack trace for known errors.
    if (isVaultError(e)) console.error(`vault: ${e.code}: ${e.message}`);
    else console.error(`vault: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
