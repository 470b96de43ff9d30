/** Small builders shared by the OpenAPI fragments. */
export type OpenApiObject = Record<string, unknown>;

export function ref(name: string): OpenApiObject {
  return { $ref: `#/components/schemas/${name}` };
}

export function json(schema: OpenApiObject): OpenApiObject {
  return { 'application/json': { schema } };
}
