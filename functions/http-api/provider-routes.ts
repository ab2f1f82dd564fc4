/**
 * The provider's links: `/provider/<caseId>/<requestId>?p=&e=&s=`. GET shows the page (never
 * acts); POST acts once, with the page's form token. The provider has no account: the signed link
 * is the only way in, and it opens one request on one case of one provider.
 */
import { htmlResponse, parseForm, type HttpDeps, type HttpRequest, type HttpResponse } from './app';
import { confirmReceipt, inspectProviderLink, submitEvidenceResponse, type ProviderActResult } from '../ladder/provider-side';
import { memoryEvidenceStore } from '../ladder/evidence-store';
import { BadMultipart, bodyBytes, parseMultipart } from '../web/forms';
import { providerDonePage, providerLinkPage, providerRefusalPage } from '../web/provider-pages';
import { notFoundPage } from '../web/link-pages';
import { MAX_EVIDENCE_FILES } from '../ladder/provider-side';

/** Without a configured store (a test's bare deps), files are kept in memory for the process. */
const fallbackEvidence = memoryEvidenceStore();

function answer(deps: HttpDeps, result: ProviderActResult, action: string, values: Record<string, string>): HttpResponse {
  if (result.ok) return htmlResponse(200, providerDonePage(result.request, result.view));
  if (result.refusal === 'badDetails') return htmlResponse(400, providerLinkPage(result.view, action, deps.config.providerSide.maxEvidenceBytes, { values, errors: result.errors }));
  return providerRefusalPage(result.refusal, result.request);
}

export async function routeProviderLinks(deps: HttpDeps, request: HttpRequest): Promise<HttpResponse | undefined> {
  if (!request.path.startsWith('/provider/')) return undefined;
  const action = `${request.path}?${request.rawQuery}`;
  if (request.method === 'GET' || request.method === 'HEAD') {
    const check = await inspectProviderLink(deps, action);
    return check.ok ? htmlResponse(200, providerLinkPage(check, action, deps.config.providerSide.maxEvidenceBytes)) : providerRefusalPage(check.refusal, check.request);
  }
  if (request.method !== 'POST') return htmlResponse(405, notFoundPage('That method is not allowed here.'), { allow: 'GET, POST' });
  const contentType = request.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(contentType)) {
    let form;
    try {
      form = parseMultipart(contentType, bodyBytes(request));
    } catch (error) {
      if (error instanceof BadMultipart) return providerRefusalPage('badForm');
      throw error;
    }
    const files = Array.from({ length: MAX_EVIDENCE_FILES + 1 }, (_, index) => form.files[`evidence${index + 1}`]).flatMap((file) => (file && (file.body.length > 0 || file.fileName) ? [{ fileName: file.fileName, body: file.body }] : []));
    const values = { name: form.fields.name ?? '', response: form.fields.response ?? '' };
    const result = await submitEvidenceResponse(deps, deps.evidence ?? fallbackEvidence, action, { formToken: form.fields.formToken ?? '', ...values, files }, request.sourceIp);
    return answer(deps, result, action, values);
  }
  const fields = parseForm(request.body);
  const result = await confirmReceipt(deps, action, fields, request.sourceIp);
  return answer(deps, result, action, { name: fields.name ?? '' });
}

