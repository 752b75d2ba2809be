import { describe, expect, it } from 'vitest';
import { clientIdentityOf, createClientLabels } from '../../src/observability/clientIdentity.js';

describe('client identity', () => {
  it('reads graphql-client-* first, then apollographql-client-*, sanitised and at most 64 characters', () => {
    expect(clientIdentityOf(new Headers({ 'graphql-client-name': 'web', 'apollographql-client-name': 'ios', 'apollographql-client-version': '1.2' }))).toEqual({ name: 'web', version: '1.2' });
    expect(clientIdentityOf(new Headers({ 'graphql-client-name': ' my app{"x"} ' }))).toEqual({ name: 'my_app__x__' });
    expect(clientIdentityOf(new Headers({ 'graphql-client-name': 'a'.repeat(100) })).name).toHaveLength(64);
    expect(clientIdentityOf(new Headers({ 'graphql-client-name': '   ' }))).toEqual({});
  });

  it('labels configured names always, learns the first few others, and folds the rest into other', () => {
    const labels = createClientLabels({ names: ['ios'], maxLearned: 1, maxVersions: 2 });
    for (const client of [{ name: 'android', version: '1' }, { name: 'bot', version: '1' }, { name: 'ios', version: '1' }, { name: 'ios', version: '2' }, { name: 'ios', version: '3' }]) labels.admit(client);
    expect(labels.labels({ name: 'android', version: '1' })).toEqual({ client_name: 'android', client_version: '1' });
    expect(labels.labels({ name: 'bot', version: '1' })).toEqual({ client_name: 'other', client_version: 'other' });
    expect(labels.labels({ name: 'ios', version: '2' })).toEqual({ client_name: 'ios', client_version: '2' });
    expect(labels.labels({ name: 'ios', version: '3' })).toEqual({ client_name: 'ios', client_version: 'other' });
    expect(labels.labels({ name: 'ios' })).toEqual({ client_name: 'ios', client_version: 'none' });
    expect(labels.labels({})).toEqual({ client_name: 'none', client_version: 'none' });
    // Not yet admitted (a request refused before execution): no value of its own.
    expect(labels.labels({ name: 'ios', version: '9' })).toEqual({ client_name: 'ios', client_version: 'other' });
  });
});
