// IAM Query API answers as XML, for the test proxy: errors, successful answers, URL-encoded documents.

export interface ProxyResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** Text for an XML element or attribute. */
export function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** An IAM error answer as real IAM sends it (HTTP 4xx/5xx with an XML ErrorResponse). */
export function iamErrorResponse(code: string, message: string, status = 400): ProxyResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return {
    status,
    body:
      `<ErrorResponse xmlns="${IAM_NAMESPACE}">` +
      `<Error><Type>${type}</Type><Code>${xmlText(code)}</Code><Message>${xmlText(message)}</Message></Error>` +
      '<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>',
  };
}

/** A successful answer to `action`; `resultXml` is the content of its <ActionResult> element, if any. */
export function iamResponse(action: string, resultXml: string | undefined): ProxyResponse {
  const result = resultXml === undefined ? '' : `<${action}Result>${resultXml}</${action}Result>`;
  return {
    status: 200,
    body:
      `<${action}Response xmlns="${IAM_NAMESPACE}">${result}` +
      '<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>' +
      `</${action}Response>`,
  };
}

/** RFC 3986 percent-encoding, as real IAM applies to policy documents. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Rewrites every <Document> in an answer the way real IAM returns it: URL-encoded. */
export function urlEncodeDocuments(response: ProxyResponse): ProxyResponse {
  return {
    ...response,
    body: response.body.replace(
      /<Document>([\s\S]*?)<\/Document>/g,
      (_, document: string) => `<Document>${encodeRfc3986(unescapeXml(document))}</Document>`,
    ),
  };
}
