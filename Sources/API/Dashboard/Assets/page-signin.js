// Sign-in page: paste an access token (a JWT); errors from the API show in [data-testid=sign-in-error].

import { h } from './dom.js';

export function render(main, { message, onToken }) {
  const textarea = h('textarea', {
    id: 'token', rows: 6, cols: 60, spellcheck: 'false', autocomplete: 'off',
    'aria-describedby': 'token-hint', required: true,
  });
  const button = h('button', { type: 'button', id: 'sign-in', class: 'primary' }, 'Sign in');
  const error = h('p', { 'data-testid': 'sign-in-error', class: 'alert', role: 'alert', hidden: !message }, message || '');

  const submit = async () => {
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      await onToken(textarea.value);
    } finally {
      // The page is usually replaced by now; restore the button in case it is not.
      button.disabled = false;
      button.textContent = 'Sign in';
    }
  };
  button.addEventListener('click', submit);
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });

  main.replaceChildren(h('section', { class: 'signin', 'data-testid': 'sign-in', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', tabindex: '-1' }, 'Sign in'),
    error,
    h('div', { class: 'field' },
      h('label', { for: 'token' }, 'Access token'),
      textarea,
      h('span', { id: 'token-hint', class: 'hint' },
        'A Supabase access token (JWT) of a platform admin or a tenant user. It is kept in this tab only. Ctrl+Enter signs in.')),
    h('p', {}, button)));
  if (message) error.hidden = false;
  textarea.focus();
}
