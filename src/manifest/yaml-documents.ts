// YAML text -> documents, with hostile input refused before it is expanded: more than
// MAX_DOCUMENTS documents, tags outside the YAML 1.2 core schema, aliases that point nowhere, into
// themselves or that multiply the document (alias bombs), and nesting deeper than MAX_DEPTH.
// Positions stay byte offsets here; the caller turns them into line:column.

import {
  type Alias,
  Composer,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type ParsedNode,
  Parser,
} from "yaml";
import { MAX_ALIASES, MAX_DEPTH, MAX_DOCUMENTS, MAX_NODES } from "./limits.ts";

export interface YamlProblem {
  offset: number;
  message: string;
}

export interface YamlDocument {
  /** 0-based index of the document in the file, empty documents included. */
  index: number;
  doc: Document.Parsed;
  /** The node each alias stands for, so field paths can be followed through aliases. */
  aliasTargets: Map<Alias.Parsed, ParsedNode>;
  problems: YamlProblem[];
  /** The document as plain data; undefined when a problem prevents conversion. */
  value?: unknown;
}

export interface YamlFile {
  documents: YamlDocument[];
  /** Problems with the file as a whole (too many documents). */
  problems: YamlProblem[];
  lineCounter: LineCounter;
}

const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((name) => `tag:yaml.org,2002:${name}`),
);

const OPTIONS = {
  // YAML 1.2 core schema: `yes`, `on` and `0777` are a string, a string and a decimal number.
  version: "1.2",
  schema: "core",
  uniqueKeys: true,
  stringKeys: true,
  // `<<: *base` merge keys, as kubectl (go-yaml) accepts them.
  merge: true,
  prettyErrors: false,
  logLevel: "error",
} as const;

/** Parses every document of a file, stopping after MAX_DOCUMENTS. */
export function readYamlFile(text: string): YamlFile {
  const lineCounter = new LineCounter();
  const composer = new Composer(OPTIONS);
  const documents: YamlDocument[] = [];
  const problems: YamlProblem[] = [];
  // Parser and Composer are what parseAllDocuments uses; driving them directly lets us stop early.
  for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
    if (documents.length === MAX_DOCUMENTS) {
      problems.push({ offset: doc.range[0], message: `file has more than ${MAX_DOCUMENTS} YAML documents` });
      break;
    }
    documents.push(readDocument(doc, documents.length, text));
  }
  return { documents, problems, lineCounter };
}

function readDocument(doc: Document.Parsed, index: number, text: string): YamlDocument {
  const { problems, broken } = syntaxProblems(doc, text);
  // Only duplicate keys leave a tree worth inspecting; after other syntax errors it is guesswork.
  // (The yaml library's warnings are about unknown tags, which inspectNodes refuses itself.)
  if (broken) return { index, doc, aliasTargets: new Map(), problems };
  const { aliasTargets, problems: structural } = inspectNodes(doc.contents);
  problems.push(...structural);
  const result: YamlDocument = { index, doc, aliasTargets, problems };
  if (structural.length > 0) return result;
  try {
    result.value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    problems.push({ offset: doc.range[0], message: `cannot convert YAML document: ${String(err)}` });
  }
  return result;
}

/** Every duplicate key, plus the first other syntax error: later ones usually follow from it. */
function syntaxProblems(doc: Document.Parsed, text: string): { problems: YamlProblem[]; broken: boolean } {
  const problems: YamlProblem[] = [];
  let broken = false;
  for (const error of doc.errors) {
    const [start, end] = error.pos;
    if (error.code === "DUPLICATE_KEY") {
      // After a key with an empty value (`metadata:` then `metadata: {...}`) the parser points at
      // the end of the first pair: the duplicate is the next key written.
      const gap = /^\s*/.exec(text.slice(start, start + 300))?.[0].length ?? 0;
      const at = gap > 0 && start + gap < text.length ? start + gap : start;
      problems.push({ offset: at, message: `duplicate key ${keyAt(text, at, at === start ? end : at + 1)}` });
    } else if (!broken) {
      broken = true;
      const message =
        error.code === "RESOURCE_EXHAUSTION"
          ? `document is nested too deeply to parse (limit ${MAX_DEPTH} levels)`
          : `invalid YAML: ${error.message}`;
      problems.push({ offset: start, message });
    }
  }
  return { problems, broken };
}

/** The key written at `start`, as JSON, for a duplicate-key message (the error range covers one character). */
function keyAt(text: string, start: number, end: number): string {
  const key = /^(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^:#\n]*[^:#\s])/.exec(
    text.slice(start, start + 300),
  )?.[0];
  if (key === undefined) return JSON.stringify(text.slice(start, end));
  return key.startsWith('"') || key.startsWith("'") ? key : JSON.stringify(key);
}

function shortTag(tag: string): string {
  return tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice("tag:yaml.org,2002:".length)}` : tag;
}

const offsetOf = (node: ParsedNode) => node.range[0];

interface Size {
  nodes: number;
  height: number;
}

/**
 * Walks the tree once in document order to resolve aliases (the last anchor of that name before
 * the alias, as the yaml library resolves it) and refuse tags, then measures the tree as it would
 * be once aliases are expanded, without expanding it.
 */
function inspectNodes(root: ParsedNode | null): {
  aliasTargets: Map<Alias.Parsed, ParsedNode>;
  problems: YamlProblem[];
} {
  const problems: YamlProblem[] = [];
  const aliasTargets = new Map<Alias.Parsed, ParsedNode>();
  if (root === null) return { aliasTargets, problems };
  const anchors = new Map<string, ParsedNode>();
  let aliasCount = 0;

  const visit = (node: ParsedNode | null) => {
    if (node === null) return;
    if (isAlias(node)) {
      aliasCount++;
      if (aliasCount === MAX_ALIASES + 1) {
        problems.push({ offset: offsetOf(node), message: `document has more than ${MAX_ALIASES} aliases` });
      }
      const target = anchors.get(node.source);
      if (target === undefined) {
        problems.push({
          offset: offsetOf(node),
          message: `alias *${node.source} has no anchor &${node.source} before it`,
        });
      } else {
        aliasTargets.set(node, target);
      }
      return;
    }
    if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
      problems.push({
        offset: offsetOf(node),
        message: `YAML tag ${shortTag(node.tag)} is not allowed in a manifest`,
      });
    }
    if (node.anchor) anchors.set(node.anchor, node);
    for (const child of childrenOf(node)) visit(child);
  };
  visit(root);
  if (problems.length > 0) return { aliasTargets, problems };

  // Sizes are memoized per node, so an alias bomb costs one visit per distinct node.
  const sizes = new Map<ParsedNode, Size>();
  const inProgress = new Set<ParsedNode>();
  const measure = (node: ParsedNode): Size => {
    const known = sizes.get(node);
    if (known) return known;
    if (isAlias(node)) {
      const target = aliasTargets.get(node);
      if (target === undefined) return { nodes: 1, height: 0 };
      if (inProgress.has(target)) {
        problems.push({
          offset: offsetOf(node),
          message: `alias *${node.source} refers to a node that contains it`,
        });
        return { nodes: Number.POSITIVE_INFINITY, height: 0 };
      }
      return measure(target);
    }
    inProgress.add(node);
    let nodes = 1;
    let height = 0;
    for (const child of childrenOf(node)) {
      const size = measure(child);
      nodes += size.nodes;
      height = Math.max(height, size.height);
    }
    inProgress.delete(node);
    const size = { nodes: Math.min(nodes, MAX_NODES + 1), height: isScalar(node) ? 0 : height + 1 };
    sizes.set(node, size);
    return size;
  };
  const total = measure(root);
  if (problems.length > 0) return { aliasTargets, problems };
  if (total.nodes > MAX_NODES) {
    // Blame the alias that expands the most, the usual shape of a "billion laughs" document.
    let worst: Alias.Parsed | undefined;
    for (const alias of aliasTargets.keys()) {
      if (worst === undefined || measure(alias).nodes > measure(worst).nodes) worst = alias;
    }
    problems.push({
      offset: worst ? offsetOf(worst) : offsetOf(root),
      message: `document has more than ${MAX_NODES} nodes once aliases are expanded`,
    });
  } else if (total.height > MAX_DEPTH) {
    problems.push({
      offset: offsetOf(deepestAt(root, MAX_DEPTH + 1, measure, aliasTargets)),
      message: `document is nested deeper than ${MAX_DEPTH} levels`,
    });
  }
  return { aliasTargets, problems };
}

function childrenOf(node: ParsedNode): ParsedNode[] {
  if (!isMap(node) && !isSeq(node)) return [];
  const children: ParsedNode[] = [];
  for (const item of node.items) {
    if (isPair(item)) {
      if (item.key) children.push(item.key as ParsedNode);
      if (item.value) children.push(item.value as ParsedNode);
    } else {
      children.push(item as ParsedNode);
    }
  }
  return children;
}

/** The collection at `level` on the deepest branch, following aliases. */
function deepestAt(
  root: ParsedNode,
  level: number,
  measure: (node: ParsedNode) => Size,
  aliasTargets: Map<Alias.Parsed, ParsedNode>,
): ParsedNode {
  let node = root;
  for (let depth = 1; depth < level; depth++) {
    let next: ParsedNode | undefined;
    for (const child of childrenOf(node)) {
      if (next === undefined || measure(child).height > measure(next).height) next = child;
    }
    if (next === undefined) break;
    node = isAlias(next) ? (aliasTargets.get(next) ?? next) : next;
  }
  return node;
}
