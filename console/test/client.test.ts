import { describe, expect, it, vi } from 'vitest';

// The client reads the session and the page's origin as it loads.
vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {}, removeItem: () => {} });
vi.stubGlobal('location', { origin: 'http://127.0.0.1:8080', hash: '' });
const { ApiFailure } = await import('../src/api/client');

describe('ApiFailure.at', () => {
  it('gives each field its own problem from `errors`, else the answer itself when it names the field', () => {
    const f = new ApiFailure(422, 'invalid', 'the product definition has 2 problem(s)', 'version', [
      { field: 'version', message: 'version must look like V1.0' },
      { field: 'specifications[0].skus', message: 'at least one SKU' },
    ]);
    expect(f.at('version')).toBe('version must look like V1.0');
    expect(f.at('specifications[0].skus')).toBe('at least one SKU');
    expect(f.at('name')).toBeUndefined();
    expect(new ApiFailure(400, 'bad-request', 'no such SKU', 'sku').at('sku')).toBe('no such SKU');
  });
});
