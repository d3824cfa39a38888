#!/usr/bin/env node
// First, for its side effect: traces need the SDK started before the modules below load (tracingPreload.ts).
import '../observability/tracingPreload.js';

import { Command } from 'commander';

import { isVaultError } from '../domain/errors.js';
import { addAuditErasureCommand } from './commands/auditErasure.js';
import { addImportCommand } from './commands/import.js';
import { addNotificationsCommand } from './commands/notifications.js';
import { addRebuildCommand } from './commands/rebuild.js';
import { addRetentionCommand } from './commands/retention.js';
import { addRotateEpochCommand } from './commands/rotateEpoch.js';
import { addRotateMasterKeyCommand } from './commands/rotateMasterKey.js';
import { addServeCommand } from './commands/serve.js';
import { addStatusCommand } from './commands/status.js';
import { addTokenCommand } from './commands/token.js';
import { addTrustedDocumentsCommand } from './commands/trustedDocuments.js';
import { addVerifyCertificateCommand } from './commands/verifyCertificate.js';

/** `vault <command>`: each command lives in cli/commands and is added here. */
export function buildProgram(): Command {
  const program = new Command('vault')
    .description('Personal-data vault: encrypted events, crypto-shredding, GDPR rights')
    .showHelpAfterError();
  addServeCommand(program);
  addStatusCommand(program);
  addTokenCommand(program);
  addRebuildCommand(program);
  addRetentionCommand(program);
  addRotateMasterKeyCommand(program);
  addRotateEpochCommand(program);
  addAuditErasureCommand(program);
  addVerifyCertificateCommand(program);
  addTrustedDocumentsCommand(program);
  addImportCommand(program);
  addNotificationsCommand(program);
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
