/**
 * Static files for the pages: our own (functions/web/assets/) and govuk-frontend's stylesheet,
 * fonts and images. Served by the http-api function itself, so the pages look the same on AWS and
 * locally. In the Lambda bundle, CDK copies both next to the code (`assets/`, `assets/govuk/`);
 * from source they are read where they live.
 */
import { readFile } from 'node:fs/promises';

const OWN = new URL('./assets/', import.meta.url);
const GOVUK_BUNDLED = new URL('./assets/govuk/', import.meta.url);
const GOVUK_SOURCE = new URL('../../node_modules/govuk-frontend/dist/govuk/', import.meta.url);

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  woff2: 'font/woff2',
  woff: 'font/woff',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};

export interface Asset {
  body: Buffer;
  type: string;
}

/** `/assets/<name>`: a fixed set of own files, or govuk-frontend's `fonts/` and `images/`. */
function candidates(path: string): URL[] | undefined {
  const name = path.slice('/assets/'.length);
  if (name === 'govuk-frontend.min.css') return [new URL(name, GOVUK_BUNDLED), new URL(name, GOVUK_SOURCE)];
  if (/^(fonts|images)\/[\w-]+(\.[\w-]+)*\.(woff2?|png|svg|ico)$/.test(name)) {
    return [new URL(name, GOVUK_BUNDLED), new URL(`assets/${name}`, GOVUK_SOURCE)];
  }
  if (/^[\w-]+\.(css|js)$/.test(name)) return [new URL(name, OWN)];
  return undefined;
}

export async function readAsset(path: string): Promise<Asset | undefined> {
  const urls = candidates(path);
  if (!urls) return undefined;
  const extension = path.slice(path.lastIndexOf('.') + 1);
  for (const url of urls) {
    try {
      return { body: await readFile(url), type: TYPES[extension] ?? 'application/octet-stream' };
    } catch {
      // Not in this place: try the next.
    }
  }
  return undefined;
}
