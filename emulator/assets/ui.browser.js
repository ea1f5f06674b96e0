/*
 * Clerk emulator: stand-in for @clerk/ui's browser bundle
 * (/npm/@clerk/ui@1/dist/ui.browser.js).
 *
 * Plain JavaScript, no build step. It defines `window.__internal_ClerkUICtor`,
 * which the app hands to `Clerk.load({ ui: { ClerkUI } })`. The UI is an
 * account picker in the manner of the Firebase Auth Emulator: choose an
 * account that exists, or add one with an email address and a name. No
 * password: the emulator signs in anyone.
 *
 * The UI never talks to the session endpoints itself: whoever opens it
 * passes `onAccount(account)`, an async function that signs in as
 * `{user_id}` or `{email_address, first_name, last_name}` and rejects with an
 * Error whose message is shown in the picker (or, for an address the
 * emulator refuses, the reason in its `errors[0].meta`, as a sentence).
 */
(function () {
  'use strict';

  var script = document.currentScript;
  // Where this script came from is the emulator's Clerk role.
  var UI_ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var STYLE_ID = 'cle-emulator-styles';
  // How long the picker waits for the account list before it says the
  // emulator did not answer (a fetch alone may wait for minutes).
  var LIST_TIME_LIMIT_MS = 10000;
  var nextId = 0;

  function ensureStyles(frontendApi) {
    if (document.getElementById(STYLE_ID)) return;
    var link = document.createElement('link');
    link.id = STYLE_ID;
    link.rel = 'stylesheet';
    link.href = frontendApi + '/__emulator/assets/ui.css';
    (document.head || document.documentElement).appendChild(link);
  }

  // The stylesheet comes now, with this script, while the emulator is
  // reachable (as @clerk/ui brings its styles along): asked for only when
  // the picker first opened, it would be missing from the very picker that
  // explains an emulator gone unreachable, which would show as a bare form
  // at the bottom of the page.
  ensureStyles(UI_ORIGIN);

  /** Creates an element; `props` are properties (or `attrs` for attributes). */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    var key;
    props = props || {};
    for (key in props) {
      if (!Object.prototype.hasOwnProperty.call(props, key)) continue;
      if (key === 'attrs') {
        for (var name in props.attrs) {
          if (Object.prototype.hasOwnProperty.call(props.attrs, name)) {
            node.setAttribute(name, props.attrs[name]);
          }
        }
      } else if (key === 'text') {
        node.textContent = props.text;
      } else {
        node[key] = props[key];
      }
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function errorMessage(err) {
    if (err && typeof err.message === 'string' && err.message) return err.message;
    return 'Something went wrong; try again.';
  }

  /** `text` as a sentence: a capital first, a full stop last. */
  function sentence(text) {
    return text.charAt(0).toUpperCase() + text.slice(1).replace(/\.?$/, '.');
  }

  /** Whether `err` is the emulator refusing the email address itself. */
  function refusesTheEmail(err) {
    var first = err && Array.isArray(err.errors) ? err.errors[0] : null;
    var meta = first && first.meta;
    return !!meta && meta.param_name === 'email_address' && typeof meta.reason === 'string' && !!meta.reason;
  }

  /**
   * What a failed sign-in says. An address the emulator refuses comes with
   * its reason alone in `meta.reason` (the API's own text starts
   * `email_address is invalid: "…"`, which reads as code, not advice).
   */
  function signInProblem(err) {
    if (refusesTheEmail(err)) {
      var meta = err.errors[0].meta;
      return 'Instant does not accept this email address, so the emulator cannot sign in ' +
        'with it. ' + sentence(meta.reason);
    }
    return errorMessage(err);
  }

  function looksLikeEmail(value) {
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && !/\.$/.test(value);
  }

  /** Why the account list did not load, and what to do: a whole message. */
  function listProblem(what, todo) {
    return new Error('The accounts could not be loaded: ' + what + '. ' + todo);
  }

  /** The emulator's reason in an error answer, or the HTTP status. */
  function answerProblem(response) {
    return response.json().catch(function () { return null; }).then(function (body) {
      var first = body && Array.isArray(body.errors) ? body.errors[0] : null;
      var reason = first && (first.long_message || first.message);
      return listProblem('the emulator answered with an error (HTTP ' + response.status + ')',
        reason ? sentence(reason) : 'Press Try again, or add an account below.');
    });
  }

  /**
   * The accounts on the emulator. Rejects, within LIST_TIME_LIMIT_MS, with
   * an Error whose message says what happened and what to do.
   */
  function fetchAccounts(frontendApi) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var unanswered = 'Check that the emulator is running, then press Try again.';
    var timer = null;
    var timedOut = new Promise(function (resolve, reject) {
      timer = setTimeout(function () {
        if (controller) controller.abort();
        reject(listProblem('the emulator at ' + frontendApi + ' did not answer within ' +
          LIST_TIME_LIMIT_MS / 1000 + ' seconds', unanswered));
      }, LIST_TIME_LIMIT_MS);
    });
    var listed = fetch(frontendApi + '/__emulator/accounts', {
      credentials: 'omit',
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) return answerProblem(response).then(function (err) { throw err; });
      return response.json();
    }, function () {
      // The browser's own words ("Failed to fetch") say no more than this.
      throw listProblem('the emulator at ' + frontendApi + ' did not answer', unanswered);
    }).then(function (body) {
      return Array.isArray(body.accounts) ? body.accounts : [];
    });
    var stopTimer = function () { clearTimeout(timer); };
    listed.then(stopTimer, stopTimer);
    return Promise.race([listed, timedOut]);
  }

  /**
   * Renders the picker card into `container` and returns
   * `{ element, focusFirst() }`.
   *
   * options: `frontendApi`, `appLabel` (shown as "to continue to …"),
   * `onAccount(account) → Promise`, `titleId` (for aria-labelledby).
   */
  function renderPicker(container, options) {
    var uid = ++nextId;
    var titleId = options.titleId || 'cle-title-' + uid;
    var view = 'loading';
    var accounts = [];
    // The account list did not load: the form offers to try again.
    var listFailed = false;
    var busy = false;

    var title = el('h1', { className: 'cle-title', id: titleId, text: 'Sign in' });
    var subtitle = el('p', {
      className: 'cle-subtitle',
      text: options.appLabel ? 'to continue to ' + options.appLabel : 'to continue'
    });
    var errorId = titleId + '-error';
    var error = el('div', { className: 'cle-error', id: errorId, attrs: { role: 'alert', 'aria-live': 'assertive' } });
    // What a chosen account is doing while the emulator answers, as the
    // whole card greys out meanwhile; hidden when empty. (No live region:
    // the card is aria-busy until the answer, which closes the picker.)
    var progress = el('p', { className: 'cle-status cle-progress' });
    var body = el('div', { className: 'cle-body' });
    var footer = el('p', {
      className: 'cle-footer',
      text: 'Clerk emulator: accounts are local and need no password. Anyone who can reach this emulator can sign in as anyone.'
    });
    var card = el('div', { className: 'cle-card', tabIndex: -1, attrs: { 'data-clerk-emulator-picker': '' } }, [
      el('div', { className: 'cle-badge', text: 'Clerk emulator' }),
      title,
      subtitle,
      error,
      progress,
      body,
      footer
    ]);
    container.appendChild(card);
    // Enter held down on the button that opened the picker repeats into it,
    // where focus is on the first account: a repeat would sign in as an
    // account the person has not seen. Only a press of its own acts here.
    card.addEventListener('keydown', function (event) {
      if (event.repeat && event.key === 'Enter') event.preventDefault();
    });

    function setError(text) {
      error.textContent = text || '';
    }

    function setBusy(on) {
      busy = on;
      // Disabling the control that has focus drops focus to the page's
      // body, outside the dialog: Escape and its Tab loop would no longer
      // work while the emulator has not answered. The card keeps it.
      var hadFocus = card.contains(document.activeElement);
      var controls = card.querySelectorAll('button, input');
      for (var i = 0; i < controls.length; i++) controls[i].disabled = on;
      if (on) {
        card.setAttribute('aria-busy', 'true');
        if (hadFocus && card.isConnected) card.focus();
      } else {
        card.removeAttribute('aria-busy');
      }
    }

    /**
     * Signs in as `account`. `label` replaces the text of `button` meanwhile
     * (the form's Continue); `doing` is said in the status line instead (an
     * account of the list, whose button keeps its name and email).
     */
    function choose(account, button, label, doing) {
      if (busy) return;
      setError('');
      setBusy(true);
      var before = button ? button.textContent : null;
      if (button && label) button.textContent = label;
      progress.textContent = doing || '';
      Promise.resolve()
        .then(function () { return options.onAccount(account); })
        .then(function () {
          // The opener closes the modal or navigates away; re-enable in case
          // it keeps the picker on screen.
          setBusy(false);
          progress.textContent = '';
          if (button && before !== null && label) button.textContent = before;
        }, function (err) {
          setBusy(false);
          progress.textContent = '';
          if (button && before !== null && label) button.textContent = before;
          if (account.user_id && err && err.status === 404) {
            // The list is stale: the account was deleted, or the emulator
            // restarted with a fresh store under this page. Say so in
            // words, not the API's "No user was found with id …", and show
            // what is left to choose from.
            setError('This account is no longer on the emulator (it was deleted, or the emulator ' +
              'restarted with fresh data). Choose another account, or add one.');
            loadAccounts();
            return;
          }
          setError(signInProblem(err));
          // A refused address marks its field, as the form's own check does.
          var field = body.querySelector('input[name=email_address]');
          if (field && refusesTheEmail(err)) {
            field.setAttribute('aria-invalid', 'true');
            field.focus();
          } else {
            focusFirst();
          }
        });
    }

    function renderChoose() {
      title.textContent = 'Choose an account';
      var list = el('ul', { className: 'cle-accounts', attrs: { 'aria-label': 'Accounts' } });
      accounts.forEach(function (account) {
        var email = account.email_address || '';
        var name = account.full_name || email;
        var initial = (account.first_name || email || '?').charAt(0);
        var button = el('button', {
          type: 'button',
          className: 'cle-account',
          attrs: {
            'data-email': email,
            'data-user-id': account.id,
            // The name holds the visible text word for word (WCAG 2.5.3,
            // label in name): "Sign in as Ada Lovelace, ada@…", which a
            // speech user can say as they read it.
            'aria-label': 'Sign in as ' + (account.full_name ? account.full_name + ', ' + email : email)
          }
        }, [
          // The initial is drawn by ui.css (`content: attr(data-initial)`):
          // decoration, not a word of the button's visible label.
          el('span', { className: 'cle-avatar', attrs: { 'aria-hidden': 'true', 'data-initial': initial } }),
          el('span', { className: 'cle-account-text' }, [
            el('span', { className: 'cle-account-name', text: name }),
            // Not rendered between flex items, but it keeps the name and
            // the email two words in the element's text.
            account.full_name ? document.createTextNode(' ') : null,
            account.full_name ? el('span', { className: 'cle-account-email', text: email }) : null
          ])
        ]);
        button.addEventListener('click', function () {
          choose({ user_id: account.id }, null, null, 'Signing in as ' + describe(account) + '…');
        });
        list.appendChild(el('li', {}, [button]));
      });
      var add = el('button', {
        type: 'button',
        className: 'cle-button cle-secondary cle-add',
        text: 'Add another account'
      });
      add.addEventListener('click', function () {
        setError('');
        show('add');
      });
      body.replaceChildren(el('p', { className: 'cle-section', text: 'Accounts on this emulator' }), list, add);
    }

    // "Ada Lovelace (ada@example.com)", or the address alone.
    function describe(account) {
      var email = account.email_address || '';
      return account.full_name ? account.full_name + ' (' + email + ')' : email;
    }

    function field(labelText, input) {
      return el('label', { className: 'cle-field' }, [document.createTextNode(labelText), input]);
    }

    function renderAdd() {
      title.textContent = accounts.length ? 'Add an account' : 'Sign in';
      var email = el('input', {
        type: 'email',
        name: 'email_address',
        className: 'cle-input',
        required: true,
        autocomplete: 'email',
        spellcheck: false,
        // The error, when there is one, says what is wrong with it.
        attrs: { placeholder: 'name@example.com', 'aria-required': 'true', 'aria-describedby': errorId }
      });
      var first = el('input', { type: 'text', name: 'first_name', className: 'cle-input', autocomplete: 'given-name' });
      var last = el('input', { type: 'text', name: 'last_name', className: 'cle-input', autocomplete: 'family-name' });
      var submit = el('button', { type: 'submit', className: 'cle-button cle-primary', text: 'Continue' });
      var form = el('form', { className: 'cle-form', noValidate: true, attrs: { 'aria-label': 'Add an account' } }, [
        field('Email address', email),
        el('div', { className: 'cle-row' }, [field('First name', first), field('Last name', last)]),
        submit
      ]);
      if (listFailed) {
        var retry = el('button', { type: 'button', className: 'cle-button cle-secondary', text: 'Try again' });
        retry.addEventListener('click', function () {
          setError('');
          loadAccounts();
        });
        form.appendChild(retry);
      }
      if (accounts.length) {
        var back = el('button', { type: 'button', className: 'cle-button cle-secondary', text: 'Back to accounts' });
        back.addEventListener('click', function () {
          setError('');
          show('choose');
        });
        form.appendChild(back);
      }
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var value = email.value.trim();
        if (!looksLikeEmail(value)) {
          email.setAttribute('aria-invalid', 'true');
          setError('Enter an email address like name@example.com.');
          email.focus();
          return;
        }
        email.removeAttribute('aria-invalid');
        // An address that is already an account signs in to it, names and
        // all (those typed here are for a new account): say which, rather
        // than seem to make a new one.
        var known = accounts.filter(function (account) {
          return (account.email_address || '').toLowerCase() === value.toLowerCase();
        })[0];
        choose({
          email_address: value,
          first_name: first.value.trim() || null,
          last_name: last.value.trim() || null
        }, submit, 'Signing in…', known ? 'Already an account: signing in as ' + describe(known) + '…' : null);
      });
      body.replaceChildren(form);
    }

    function show(next) {
      view = next;
      if (view === 'loading') {
        body.replaceChildren(el('p', { className: 'cle-status', text: 'Loading accounts…', attrs: { role: 'status' } }));
      } else if (view === 'choose') {
        renderChoose();
      } else {
        renderAdd();
      }
      focusFirst();
    }

    function focusFirst() {
      if (!card.isConnected) return;
      var target = body.querySelector('.cle-account, input, button');
      if (target && !target.disabled) target.focus();
      else card.focus();
    }

    function loadAccounts() {
      show('loading');
      fetchAccounts(options.frontendApi).then(function (list) {
        accounts = list;
        listFailed = false;
        show(accounts.length ? 'choose' : 'add');
      }, function (err) {
        listFailed = true;
        setError(errorMessage(err));
        show('add');
      });
    }

    loadAccounts();

    return { element: card, focusFirst: focusFirst };
  }

  function focusable(root) {
    var nodes = root.querySelectorAll('button, input, a[href], [tabindex]:not([tabindex="-1"])');
    var list = [];
    for (var i = 0; i < nodes.length; i++) {
      if (!nodes[i].disabled && nodes[i].offsetParent !== null) list.push(nodes[i]);
    }
    return list;
  }

  /**
   * The UI object clerk-js creates from `load({ ui: { ClerkUI } })`.
   * `options.frontendApi` is the emulator's Clerk origin (defaults to where
   * this script was loaded from).
   */
  function ClerkUI(options) {
    if (!(this instanceof ClerkUI)) throw new TypeError('ClerkUI must be called with new');
    this.frontendApi = (options && options.frontendApi) || UI_ORIGIN;
    this._modal = null;
    ensureStyles(this.frontendApi);
  }

  /** Whether the sign-in modal is open. */
  Object.defineProperty(ClerkUI.prototype, 'isSignInOpen', {
    get: function () { return this._modal !== null; }
  });

  /**
   * Opens the account picker as a modal over the page.
   * options: `onAccount(account) → Promise`, `appLabel`, `onClose()`.
   */
  ClerkUI.prototype.openSignIn = function (options) {
    var self = this;
    if (this._modal) {
      this._modal.picker.focusFirst();
      return;
    }
    options = options || {};
    var previousFocus = document.activeElement;
    var titleId = 'cle-modal-title-' + (++nextId);
    var close = el('button', {
      type: 'button',
      className: 'cle-close',
      text: '×',
      attrs: { 'aria-label': 'Close' }
    });
    var dialog = el('div', {
      className: 'cle-modal',
      attrs: { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId }
    }, [close]);
    var backdrop = el('div', { className: 'cle-backdrop', attrs: { 'aria-hidden': 'true' } });
    var root = el('div', { className: 'cle-root', attrs: { 'data-clerk-emulator-modal': '' } }, [backdrop, dialog]);

    function onKeyDown(event) {
      if (event.key === 'Escape') {
        event.preventDefault();
        self.closeSignIn();
        return;
      }
      if (event.key !== 'Tab') return;
      // Keep focus inside the dialog.
      var items = focusable(dialog);
      if (!items.length) return;
      var first = items[0];
      var last = items[items.length - 1];
      if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
        event.preventDefault();
        first.focus();
      }
    }

    close.addEventListener('click', function () { self.closeSignIn(); });
    backdrop.addEventListener('click', function () { self.closeSignIn(); });
    root.addEventListener('keydown', onKeyDown);
    document.body.appendChild(root);

    var picker = renderPicker(dialog, {
      frontendApi: this.frontendApi,
      appLabel: options.appLabel || location.host,
      titleId: titleId,
      onAccount: function (account) {
        return Promise.resolve(options.onAccount ? options.onAccount(account) : undefined);
      }
    });
    this._modal = { root: root, picker: picker, previousFocus: previousFocus, onClose: options.onClose };
  };

  /** Closes the modal, if open, and gives focus back where it was. */
  ClerkUI.prototype.closeSignIn = function () {
    var modal = this._modal;
    if (!modal) return;
    this._modal = null;
    modal.root.remove();
    // Only there: an opener the page replaced meanwhile leaves focus on the
    // body, for the app to move (a guess made here, better than Clerk's
    // modal makes, would leave the app's own handling untested).
    if (modal.previousFocus && typeof modal.previousFocus.focus === 'function' && modal.previousFocus.isConnected) {
      modal.previousFocus.focus();
    }
    if (typeof modal.onClose === 'function') {
      try { modal.onClose(); } catch (err) { console.error(err); }
    }
  };

  /**
   * Renders the picker inline into `container` (the /sign-in page).
   * options as for `openSignIn`.
   */
  ClerkUI.prototype.mountSignIn = function (container, options) {
    options = options || {};
    container.replaceChildren();
    return renderPicker(container, {
      frontendApi: this.frontendApi,
      appLabel: options.appLabel,
      onAccount: function (account) {
        return Promise.resolve(options.onAccount ? options.onAccount(account) : undefined);
      }
    });
  };

  ClerkUI.version = '1.0.0-emulator';
  window.__internal_ClerkUICtor = ClerkUI;
})();
