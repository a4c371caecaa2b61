#!/usr/bin/env node
// Validates an OpenAPI document (the service's /openapi.json) against the
// official OpenAPI JSON schema of its version, with
// @seriousme/openapi-schema-validator (installed by `npm ci --prefix tools`).
//
//   node tools/validate-openapi.mjs FILE [--version=3.1]
//
// Exit status: 0 valid; 1 invalid (the schema errors are printed), not JSON,
// of another OpenAPI version than wanted, or with a $ref that resolves to
// nothing; 2 usage error or the validator module is not installed.
import { readFile } from "node:fs/promises";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
const wantArg = args.find((a) => a.startsWith("--version="));
const wantVersion = wantArg ? wantArg.slice("--version=".length) : "3.1";
if (!file) {
  console.error("usage: node tools/validate-openapi.mjs FILE [--version=3.1]");
  process.exit(2);
}

let Validator;
try {
  ({ Validator } = await import("@seriousme/openapi-schema-validator"));
} catch (e) {
  console.error(
    "validate-openapi: @seriousme/openapi-schema-validator is not installed " +
      `(run: npm ci --prefix tools): ${e.message}`,
  );
  process.exit(2);
}

let spec;
try {
  spec = JSON.parse(await readFile(file, "utf8"));
} catch (e) {
  console.error(`validate-openapi: ${file} is not readable JSON: ${e.message}`);
  process.exit(1);
}
if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
  console.error(`validate-openapi: ${file} is not a JSON object`);
  process.exit(1);
}
if (typeof spec.openapi !== "string" || !spec.openapi.startsWith(`${wantVersion}.`)) {
  console.error(
    `validate-openapi: "openapi" is ${JSON.stringify(spec.openapi)}, expected ${wantVersion}.x`,
  );
  process.exit(1);
}

const validator = new Validator();
const res = await validator.validate(spec);
if (!res.valid) {
  console.error(`validate-openapi: ${file} does not match the OpenAPI ${validator.version} schema`);
  console.error(JSON.stringify(res.errors, null, 2));
  process.exit(1);
}
try {
  // Throws on a $ref that points at nothing, which the schema alone allows.
  validator.resolveRefs();
} catch (e) {
  console.error(`validate-openapi: unresolvable $ref: ${e.message}`);
  process.exit(1);
}
console.log(`validate-openapi: ${file} is valid OpenAPI ${validator.version}`);
