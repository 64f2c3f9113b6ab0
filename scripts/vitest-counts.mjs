#!/usr/bin/env node
// Prints "passed failed skipped" from a vitest JSON report (--reporter=json).
// A file that failed to load counts as one failure; an unreadable report too.
import { readFileSync } from 'node:fs';

try {
  const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const broken = r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? 1 : 0;
  console.log(r.numPassedTests, r.numFailedTests + broken, r.numPendingTests + r.numTodoTests);
} catch {
  console.log('0 1 0');
}
