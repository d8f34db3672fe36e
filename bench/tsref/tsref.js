#!/usr/bin/env node
// tsref: the TypeScript compiler's view of a JavaScript/TypeScript source tree, as the reference
// for the parser's call graph (make bench-jscallgraph; docs/BENCHMARKS.md).
//
//   node bench/tsref/tsref.js --root DIR [--tsconfig FILE] [--runs N] [--out FILE]
//
// Functions are named by the parser's rules (DESIGN.md "parser", issue 21), walking the compiler's
// AST; an edge is every call, `new` and decorator inside a named function (or the module node)
// whose `checker.getResolvedSignature(node).declaration` is one of those functions. The output is
// {typescript, root, files, modules, functions, edges, call_sites, elapsed_ms, runs_ms}; elapsed_ms
// is the median over the runs of program creation + checking + resolution (the naming walk rides
// along; Node start-up and loading the compiler are left out).
'use strict';

const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const SOURCE = /\.(js|mjs|cjs|jsx|ts|mts|cts|tsx)$/;
const DECLARATION = /\.d\.(ts|mts|cts)$|\.d\.[^.]+\.ts$/;

function usage(msg) {
  process.stderr.write(`tsref: ${msg}\nusage: node tsref.js --root DIR [--tsconfig FILE] [--runs N] [--out FILE]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { runs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!['--root', '--tsconfig', '--runs', '--out'].includes(flag)) usage(`unknown argument ${flag}`);
    if (value === undefined) usage(`${flag} needs a value`);
    args[flag.slice(2)] = value;
    i++;
  }
  if (!args.root) usage('--root is required');
  args.runs = Number(args.runs);
  if (!Number.isInteger(args.runs) || args.runs < 1) usage('--runs must be a positive integer');
  return args;
}

// minified: the parser's rule of thumb (a .min. name, or lines far longer than people write).
function minified(file, text) {
  if (/\.min\.[^.]+$/.test(file)) return true;
  const lines = text.split('\n').length;
  return text.length > 1000 && text.length / lines > 250;
}

// sourceFiles lists what the parser analyses under root (sorted): sources without node_modules,
// declarations or minified files. Declarations are returned apart: they give the program types
// but hold no functions.
function sourceFiles(root) {
  const files = [];
  const declarations = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p);
      } else if (e.isFile() && SOURCE.test(e.name)) {
        if (DECLARATION.test(e.name)) declarations.push(p);
        else if (!minified(e.name, fs.readFileSync(p, 'utf8'))) files.push(p);
      }
    }
  };
  walk(root);
  return { files, declarations };
}

// compilerOptions: the package's own tsconfig when given, else defaults that read both module
// systems; always no emit, JavaScript allowed but not checked.
function compilerOptions(tsconfig) {
  let options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    strict: true,
    experimentalDecorators: true,
  };
  if (tsconfig) {
    const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => usage(ts.flattenDiagnosticMessageText(d.messageText, '\n')) };
    const parsed = ts.getParsedCommandLineOfConfigFile(path.resolve(tsconfig), {}, host);
    if (!parsed) usage(`cannot read ${tsconfig}`);
    options = parsed.options;
  }
  return {
    ...options,
    allowJs: true, checkJs: false, noEmit: true, skipLibCheck: true,
    incremental: false, composite: false, declaration: false, declarationMap: false, sourceMap: false,
  };
}

// moduleId: the file path relative to the analysed root without extension, `/` -> `.`.
function moduleId(root, file) {
  return path.relative(root, file).replace(/\.[^./]+$/, '').split(path.sep).join('.');
}

const unwrap = (e) => {
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) ||
    ts.isTypeAssertionExpression(e) || ts.isNonNullExpression(e))) e = e.expression;
  return e;
};
const isFunctionValue = (e) => e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e));

// memberName: the name a class or object member is known by; computed names have none.
function memberName(name) {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

// exportsTarget: for `exports.x`, `module.exports.x` -> "x"; for `module.exports` -> "default".
function exportsTarget(e) {
  const isModuleExports = (n) => ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) &&
    n.expression.text === 'module' && n.name.text === 'exports';
  if (isModuleExports(e)) return 'default';
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.name) &&
    ((ts.isIdentifier(e.expression) && e.expression.text === 'exports') || isModuleExports(e.expression))) return e.name.text;
  return undefined;
}

// Names records every named function of one file: node -> id. A name defined again (a setter
// after its getter, a redeclared function) gets "#n", n counting the definitions in source
// order, as the parser numbers them; seen is shared by all files.
class Names {
  constructor(mod, seen) {
    this.mod = mod;
    this.seen = seen;
    this.ids = new Map();
  }

  add(node, qual) {
    let id = `${this.mod}.${qual}`;
    const n = (this.seen.get(id) || 0) + 1;
    this.seen.set(id, n);
    if (n > 1) id += `#${n}`;
    this.ids.set(node, id);
    return id;
  }
}

// Walker names the functions of a file and attributes its calls to the nearest named function.
class Walker {
  constructor(names, onCall) {
    this.names = names;
    this.onCall = onCall;
  }

  // scope: prefix is the qualname the names below take, owner the id calls belong to.
  file(sf) {
    const scope = { prefix: '', owner: this.names.mod };
    for (const st of sf.statements) this.topLevel(st, scope);
  }

  topLevel(st, scope) {
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && this.bound(d.name.text, d.initializer, scope)) continue;
        this.visit(d, scope);
      }
      return;
    }
    if (ts.isExpressionStatement(st) && this.exportsAssignment(st.expression, scope)) return;
    if (ts.isExportAssignment(st) && !st.isExportEquals && this.bound('default', st.expression, scope)) return;
    this.visit(st, scope);
  }

  // bound names a function, object literal or class expression bound to a module-level name;
  // false when the value is none of them.
  bound(name, value, scope) {
    const v = unwrap(value);
    if (isFunctionValue(v)) {
      this.fn(v, name, scope);
      return true;
    }
    if (v && ts.isObjectLiteralExpression(v)) {
      this.objectLiteral(v, name, scope);
      return true;
    }
    if (v && ts.isClassExpression(v)) {
      this.classLike(v, name, scope);
      return true;
    }
    return false;
  }

  // exportsAssignment handles `exports.x = ...`, `module.exports.x = ...` and `module.exports = ...`
  // (also chained: `exports = module.exports = fn`).
  exportsAssignment(e, scope) {
    let target;
    let value = e;
    while (value && ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      target = target || exportsTarget(value.left);
      value = unwrap(value.right);
    }
    if (!target || value === e) return false;
    // `module.exports = {f() {}}` exports each member under its own name, like `exports.f = ...`.
    if (target === 'default' && ts.isObjectLiteralExpression(value)) {
      this.objectLiteral(value, '', scope);
      this.lhs(e, scope);
      return true;
    }
    if (!this.bound(target, value, scope)) return false;
    this.lhs(e, scope);
    return true;
  }

  // lhs visits the assignment targets of a chain (calls there are rare but belong to the module).
  lhs(e, scope) {
    while (e && ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      this.visit(e.left, scope);
      e = unwrap(e.right);
    }
  }

  objectLiteral(obj, name, scope) {
    const qual = (key) => (name ? `${name}.${key}` : key);
    for (const p of obj.properties) {
      const key = memberName(p.name);
      if (key !== undefined && (ts.isMethodDeclaration(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) && p.body) {
        this.fn(p, qual(key), scope);
      } else if (key !== undefined && ts.isPropertyAssignment(p) && isFunctionValue(unwrap(p.initializer))) {
        this.fn(unwrap(p.initializer), qual(key), scope);
      } else if (key !== undefined && ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(unwrap(p.initializer))) {
        this.objectLiteral(unwrap(p.initializer), qual(key), scope); // obj.nested.m
      } else {
        this.visit(p, scope);
      }
    }
  }

  // fn records a named function and walks its body as its own owner.
  fn(node, qual, scope) {
    const full = scope.prefix ? `${scope.prefix}.${qual}` : qual;
    const id = this.names.add(node, full);
    const inner = { prefix: full, owner: id };
    if (node.modifiers) for (const m of node.modifiers) this.visit(m, scope);
    for (const p of node.parameters) this.visit(p, inner);
    if (node.body) this.visit(node.body, inner);
  }

  classLike(node, name, scope) {
    const cls = scope.prefix ? `${scope.prefix}.${name}` : name;
    const inner = { prefix: cls, owner: scope.owner };
    if (node.modifiers) for (const m of node.modifiers) this.visit(m, scope);
    if (node.heritageClauses) for (const h of node.heritageClauses) this.visit(h, scope);
    for (const m of node.members) {
      const key = ts.isConstructorDeclaration(m) ? 'constructor' : memberName(m.name);
      const method = ts.isConstructorDeclaration(m) || ts.isMethodDeclaration(m) ||
        ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m);
      if (method && m.body && key !== undefined) {
        this.fn(m, key, inner);
      } else if (ts.isPropertyDeclaration(m) && key !== undefined && isFunctionValue(unwrap(m.initializer))) {
        // A function-valued field (`onClick = () => ...`) is a method by another syntax.
        if (m.modifiers) for (const d of m.modifiers) this.visit(d, scope);
        this.fn(unwrap(m.initializer), key, inner);
      } else {
        // Other field initialisers, static blocks, computed-name methods: no name of their own.
        this.visit(m, scope);
      }
    }
  }

  visit(node, scope) {
    if (!node) return;
    if (ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isDecorator(node)) this.onCall(node, scope.owner);
    if (ts.isFunctionDeclaration(node)) {
      if (node.body) {
        const isDefault = node.modifiers && node.modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
        const name = node.name ? node.name.text : isDefault && !scope.prefix ? 'default' : undefined;
        if (name !== undefined) return this.fn(node, name, scope);
      } else {
        return; // overload signature or `declare function`: the implementation is the function
      }
    }
    if (ts.isClassDeclaration(node) || (ts.isClassExpression(node) && node.name)) {
      const isDefault = node.modifiers && node.modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
      const name = node.name ? node.name.text : isDefault && !scope.prefix ? 'default' : undefined;
      if (name !== undefined) return this.classLike(node, name, scope);
    }
    if (ts.isModuleDeclaration(node) && node.body && ts.isIdentifier(node.name)) {
      const prefix = scope.prefix ? `${scope.prefix}.${node.name.text}` : node.name.text;
      return ts.forEachChild(node.body, (c) => { this.visit(c, { prefix, owner: scope.owner }); });
    }
    ts.forEachChild(node, (c) => { this.visit(c, scope); });
  }
}

// implementation maps an overload signature (no body) to the declaration with the body.
function implementation(decl, checker) {
  if (decl.body) return decl;
  if (ts.isConstructorDeclaration(decl)) return decl.parent.members.find((m) => ts.isConstructorDeclaration(m) && m.body);
  const sym = decl.name && checker.getSymbolAtLocation(decl.name);
  if (!sym || !sym.declarations) return undefined;
  return sym.declarations.find((d) => d.kind === decl.kind && d.body);
}

function analyse(root, options, files, declarations) {
  const start = process.hrtime.bigint();
  const program = ts.createProgram({ rootNames: [...files, ...declarations], options });
  const checker = program.getTypeChecker();
  const ids = new Map(); // function node -> id, over all analysed files
  const calls = []; // [owner, node]
  const modules = [];
  const seen = new Map();
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) throw new Error(`the compiler did not load ${file}`);
    const names = new Names(moduleId(root, file), seen);
    modules.push(names.mod);
    new Walker(names, (node, owner) => calls.push([owner, node])).file(sf);
    for (const [node, id] of names.ids) ids.set(node, id);
  }
  const edges = new Set();
  for (const [owner, node] of calls) {
    const sig = checker.getResolvedSignature(node);
    const decl = sig && sig.declaration && implementation(sig.declaration, checker);
    const callee = decl && ids.get(decl);
    if (callee) edges.add(`${owner}\u0000${callee}`);
  }
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  return {
    modules,
    functions: [...new Set(ids.values())].sort(),
    edges: [...edges].sort().map((e) => e.split('\u0000')),
    callSites: calls.length,
    elapsedMs,
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const root = path.resolve(args.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) usage(`${args.root} is not a directory`);
  const options = compilerOptions(args.tsconfig);
  const { files, declarations } = sourceFiles(root);
  if (files.length === 0) usage(`no JavaScript or TypeScript sources under ${args.root}`);
  const runs = [];
  let res;
  for (let i = 0; i < args.runs; i++) {
    res = analyse(root, options, files, declarations);
    runs.push(res.elapsedMs);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const out = {
    typescript: ts.version,
    root: args.root,
    files: files.length,
    modules: res.modules,
    functions: res.functions,
    edges: res.edges,
    call_sites: res.callSites,
    elapsed_ms: sorted[Math.floor((sorted.length - 1) / 2)],
    runs_ms: runs.map((r) => Math.round(r * 10) / 10),
  };
  // One function or edge a line: the file is read by people checking names, not only by the scorer.
  const text = JSON.stringify(out, null, 1).replace(/\[\n\s+("[^"\n]*"),\n\s+("[^"\n]*")\n\s+\]/g, '[$1, $2]') + '\n';
  if (args.out) fs.writeFileSync(args.out, text);
  else process.stdout.write(text);
}

main();
