/** The listing's logo (a PNG) and EULA (PDF, text, Markdown or HTML): upload, replace, and see what the draft names. */
import { useEffect, useState } from 'preact/hooks';
import { sendBytes } from '../api/client';
import { token } from '../session';
import { ErrorNote } from '../ui/bits';

interface Asset {
  sha256: string;
  'content-type': string;
  'size-bytes': number;
  width?: number | null;
  height?: number | null;
}

const EULA_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
};

/** The content type the service expects for an EULA file, from its name. */
export function eulaType(name: string): string | undefined {
  return EULA_TYPES[name.split('.').pop()?.toLowerCase() ?? ''];
}

export function ListingFiles({ product, logo, eula, onChange }: { product: string; logo?: Asset | null; eula?: Asset | null; onChange: () => void }) {
  const [error, setError] = useState<unknown>();
  const [image, setImage] = useState<string>();
  useEffect(() => {
    if (!logo) return;
    let url: string | undefined;
    // The file needs the token, so it is fetched rather than linked.
    fetch(`/v1/products/${product}/logo`, { headers: { Authorization: `Bearer ${token.value}` } })
      .then((r) => (r.ok ? r.blob() : undefined))
      .then((b) => {
        if (b) setImage((url = URL.createObjectURL(b)));
      })
      .catch(() => {});
    return () => url && URL.revokeObjectURL(url);
  }, [product, logo?.sha256]);
  const put = async (what: 'logo' | 'eula', file: File) => {
    setError(undefined);
    const type = what === 'logo' ? 'image/png' : eulaType(file.name);
    if (!type) {
      setError(new Error(`${file.name}: an EULA is a .pdf, .txt, .md or .html file`));
      return;
    }
    try {
      await sendBytes('PUT', `/v1/products/${product}/${what}`, file, type);
      onChange();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="panel">
      <h2>Listing files</h2>
      <div class="row">
        <div class="field">
          <label for="logo-file">Logo (a PNG, e.g. 120×120)</label>
          <input id="logo-file" type="file" accept="image/png" onChange={(e) => e.currentTarget.files?.[0] && put('logo', e.currentTarget.files[0])} />
          {logo ? (
            <small class="hint">
              {logo.width}×{logo.height}, {logo['size-bytes'].toLocaleString('en')} bytes
            </small>
          ) : (
            <small class="hint">none yet</small>
          )}
          {image && <img class="logo" src={image} alt="the logo" width={60} height={60} />}
        </div>
        <div class="field">
          <label for="eula-file">EULA (PDF, text, Markdown or HTML)</label>
          <input id="eula-file" type="file" accept=".pdf,.txt,.md,.markdown,.html,.htm" onChange={(e) => e.currentTarget.files?.[0] && put('eula', e.currentTarget.files[0])} />
          <small class="hint">{eula ? `${eula['content-type']}, ${eula['size-bytes'].toLocaleString('en')} bytes` : 'none yet'}</small>
        </div>
      </div>
      <ErrorNote error={error} />
    </div>
  );
}
