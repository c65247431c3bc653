/** Reading an OpenAPI document as a user's linter and code generators do. */

export interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  parameters?: unknown[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown>; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}

export interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; license?: { name: string } };
  servers?: Array<{ url: string }>;
  security?: unknown[];
  tags: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

export function operations(doc: OpenApiDoc): Array<{ where: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
  );
}

/** What a user's linter and code generators need of every operation, as a list of problems (empty when none). */
export function documentProblems(doc: OpenApiDoc): string[] {
  const problems: string[] = [];
  const ids = new Map<string, string>();
  const declaredTags = new Map(doc.tags.map((t) => [t.name, t.description ?? '']));
  for (const { where, op } of operations(doc)) {
    if (!op.operationId) problems.push(`${where}: no operationId`);
    else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(op.operationId)) problems.push(`${where}: operationId "${op.operationId}" is not a plain identifier`);
    else if (ids.has(op.operationId)) problems.push(`${where}: operationId "${op.operationId}" also used by ${ids.get(op.operationId)}`);
    else ids.set(op.operationId, where);
    for (const [status, response] of Object.entries(op.responses)) {
      if (!response.description || response.description === 'Default Response') problems.push(`${where} → ${status}: no description ("${response.description}")`);
    }
    if (!Object.keys(op.responses).some((s) => /^4\d\d$/.test(s))) problems.push(`${where}: no 4xx response`);
    if ((op.parameters?.length || op.requestBody) && !op.responses['400']) problems.push(`${where}: takes input but declares no 400`);
    for (const tag of op.tags ?? []) if (!declaredTags.has(tag)) problems.push(`${where}: tag "${tag}" is not declared`);
    if (!op.tags?.length) problems.push(`${where}: no tag`);
  }
  for (const [name, description] of declaredTags) if (!description) problems.push(`tag "${name}": no description`);
  return problems;
}
