#!/usr/bin/env node
// Removes last run's vitest reports so the summary can never count a stale one.
import { rmSync } from 'node:fs';

for (const ws of ['services/vault', 'test']) rmSync(new URL(`../${ws}/test-results.json`, import.meta.url), { force: true });
