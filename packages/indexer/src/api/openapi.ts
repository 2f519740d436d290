// The OpenAPI 3.1 document of the API, built from the route table.
import { INDEXER_ERRORS } from '../errors.ts';
import { DEFAULT_LIMIT, MAX_LIMIT } from './params.ts';
import { ROUTES } from './routes.ts';

const PARAMS = {
  cursor: { name: 'cursor', in: 'query', required: false, description: 'the `next` of the previous page', schema: { type: 'string' } },
  limit: {
    name: 'limit',
    in: 'query',
    required: false,
    description: `page size, 1..${MAX_LIMIT}, default ${DEFAULT_LIMIT}`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
  },
  q: {
    name: 'q',
    in: 'query',
    required: true,
    description: 'words to search for (1..200 characters)',
    schema: { type: 'string', minLength: 1, maxLength: 200 },
  },
  since: {
    name: 'since',
    in: 'query',
    required: false,
    description: 'only tags created at or after this time, microseconds since the epoch',
    schema: { type: 'integer', minimum: 0 },
  },
} as const;

const key = { type: 'string', pattern: '^[a-z0-9]{52}$', description: 'z-base-32 public key' };
const post = {
  type: 'object',
  required: ['author', 'id', 'uri', 'kind', 'content', 'createdAt', 'parent', 'embed', 'attachments', 'counts'],
  properties: {
    author: key,
    id: { type: 'string', pattern: '^[0-9A-Z]{13}$' },
    uri: { type: 'string' },
    kind: { type: 'string', enum: ['short', 'long', 'image', 'video', 'link', 'file', 'collection'] },
    content: { type: 'string' },
    createdAt: { type: 'integer', description: 'microseconds, from the timestamp id' },
    parent: { type: ['string', 'null'] },
    embed: { type: ['string', 'null'] },
    attachments: { type: 'array', items: { type: 'string' } },
    counts: { type: 'object', properties: { replies: { type: 'integer' }, tags: { type: 'integer' } } },
  },
};
const user = {
  type: 'object',
  required: ['id', 'homeserver', 'name', 'bio', 'image', 'status', 'links'],
  properties: {
    id: key,
    homeserver: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    bio: { type: ['string', 'null'] },
    image: { type: ['string', 'null'] },
    status: { type: ['string', 'null'] },
    links: { type: 'array', items: { type: 'object', properties: { title: { type: 'string' }, url: { type: 'string' } } } },
  },
};
const page = (items: object) => ({
  type: 'object',
  required: ['items', 'next'],
  properties: { items: { type: 'array', items }, next: { type: ['string', 'null'] } },
});
const tag = {
  type: 'object',
  required: ['label', 'count', 'taggers'],
  properties: { label: { type: 'string' }, count: { type: 'integer' }, taggers: { type: 'array', items: key } },
};

const SCHEMAS: Record<string, object> = {
  Post: post,
  User: user,
  Profile: {
    allOf: [
      { $ref: '#/components/schemas/User' },
      { type: 'object', properties: { counts: { type: 'object', additionalProperties: { type: 'integer' } } } },
    ],
  },
  PostPage: page({ $ref: '#/components/schemas/Post' }),
  UserPage: page({ $ref: '#/components/schemas/User' }),
  UserKeyPage: page(key),
  TagList: { type: 'object', properties: { tags: { type: 'array', items: tag } } },
  PostThread: {
    type: 'object',
    properties: {
      post: { $ref: '#/components/schemas/Post' },
      tags: { type: 'array', items: tag },
      replies: { $ref: '#/components/schemas/PostPage' },
    },
  },
  HotTags: {
    type: 'object',
    properties: {
      tags: {
        type: 'array',
        items: { type: 'object', properties: { label: { type: 'string' }, taggers: { type: 'integer' }, uses: { type: 'integer' } } },
      },
    },
  },
  Suggestions: {
    type: 'object',
    properties: {
      users: {
        type: 'array',
        items: {
          type: 'object',
          properties: { user: key, via: { type: 'integer' }, sharedTags: { type: 'integer' }, score: { type: 'integer' } },
        },
      },
    },
  },
  Status: {
    type: 'object',
    properties: { homeservers: { type: 'array', items: { type: 'object' } }, recentInvalid: { type: 'array', items: { type: 'object' } } },
  },
  Error: {
    type: 'object',
    required: ['error', 'message'],
    properties: { error: { type: 'string', enum: Object.keys(INDEXER_ERRORS) }, message: { type: 'string' } },
  },
};

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const r of ROUTES) {
    const openPath = r.path.replace(/:(\w+)/g, '{$1}');
    const pathParams = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: m[1] === 'user' ? key : { type: 'string', pattern: '^[0-9A-Z]{13}$' },
    }));
    paths[openPath] = {
      get: {
        summary: r.summary,
        operationId: r.handler.name,
        parameters: [...pathParams, ...r.query.map((q) => PARAMS[q])],
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.returns}` } } } },
          '400': {
            description: 'a parameter is invalid',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
          '404': {
            description: 'no such user or post',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      },
    };
  }
  paths['/v0/stream/posts'] = {
    get: {
      summary: 'new posts as they are indexed (Server-Sent Events, `event: post`, data = a Post as JSON)',
      operationId: 'streamPosts',
      responses: { '200': { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
    },
  };
  paths['/openapi.json'] = {
    get: { summary: 'this document', operationId: 'openApi', responses: { '200': { description: 'OpenAPI 3.1' } } },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Pubky indexer API', version: '0.1.0', description: 'The pubky.app social graph, indexed from many homeservers.' },
    paths,
    components: { schemas: SCHEMAS },
  };
}
