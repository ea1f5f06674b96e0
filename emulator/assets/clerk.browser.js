/*
 * Clerk emulator: stand-in for clerk-js v6's browser bundle
 * (/npm/@clerk/clerk-js@6/dist/clerk.browser.js).
 *
 * Plain JavaScript, no build step. Like the real bundle it creates
 * `window.Clerk` from the `data-clerk-publishable-key` attribute of its
 * <script> tag, and the frontend API host comes from that key. It implements
 * the subset of clerk-js that the app uses:
 *
 *   Clerk.load({ ui: { ClerkUI }, afterSignOutUrl?, routerPush?, routerReplace? })
 *                                     → Promise<void>
 *   Clerk.loaded, Clerk.status        ("loading" → "ready", or "error")
 *   Clerk.user, Clerk.session, Clerk.client
 *                                     (undefined before load and in transition,
 *                                     null signed out)
 *   Clerk.addListener(cb)             → unsubscribe(); cb({client, session, user, organization})
 *   Clerk.openSignIn(props?), Clerk.closeSignIn()
 *                                     (after a sign-in in the modal, as
 *                                     clerk-js: navigates to the props'
 *                                     redirect URL, else to this page)
 *   Clerk.redirectToSignIn(opts?)     → Promise, Clerk.buildSignInUrl(opts?)
 *   Clerk.signOut(opts? | cb?, opts?) → Promise<void>
 *                                     (once signed out, as clerk-js: the
 *                                     callback if given, else navigates to
 *                                     opts.redirectUrl or afterSignOutUrl,
 *                                     default "/")
 *   Clerk.session.getToken({ skipCache }) → Promise<string | null>
 *   Clerk.__emulator.signIn({ emailAddress, firstName?, lastName? }) → Promise<void>
 *   Clerk.__emulator.withholdTokens(count), Clerk.__emulator.tokensWithheld()
 *   Clerk.__emulator.failNextSignOut(message)
 *   Clerk.__emulator.stallNext('signOut' | 'getToken')
 *   Clerk.__emulator.failNextOpenSignIn(message)
 *                                     (test hooks; real clerk-js has none)
 *
 * Navigating, as clerk-js does: within this origin through the
 * `routerPush` given to load(), with path, query and hash; else, or
 * without it, by loading the URL as a new page; a `javascript:`, `data:` or
 * `vbscript:` URL goes to `/` instead, as clerk-js refuses such protocols.
 * While it navigates (or runs signOut's callback), `user` and `session`
 * read `undefined`, as clerk-js's do in transition, and listeners hear of
 * it.
 *
 * Sessions belong to the page's origin: localStorage keeps the session id
 * and a per-session secret that the emulator checks, so a session survives
 * reloads and other tabs of the origin follow sign-in and sign-out through
 * `storage` events (a sign-in there closes the picker here, if open). A
 * sign-out reaches another tab one request later, as in clerk-js (which
 * sends a message to the other tabs, and they ask Clerk's servers before
 * they show it). Tokens are cached in memory and
 * refreshed in the background before they expire (a session gets its
 * first within 5 s of signing in or being restored; a failed refresh is
 * tried again every 5 s), so a
 * session revoked on the server shows as signed out within a token's
 * lifetime, as with clerk-js, even in a page that asks for no token.
 */
(function () {
  'use strict';

  var VERSION = '6.0.0-emulator';
  var TICKET_PARAM = '__clerk_ticket';
  // A cached token is handed out while it has more than this left.
  var TOKEN_MIN_REMAINING_MS = 10000;
  // A fresh token is fetched this long before the cached one expires.
  var TOKEN_REFRESH_BEFORE_MS = 15000;
  // How soon a session restored without a token, or a background refresh
  // that failed, is (tried) again: clerk-js's session poller runs every 5 s.
  var TOKEN_POLL_MS = 5000;
  // How long a sign-in waits for the emulator before it gives up and says
  // so, as the picker's account list does.
  var SIGN_IN_TIME_LIMIT_MS = 10000;

  var script = document.currentScript || document.querySelector('script[data-clerk-publishable-key]');
  var scriptKey = script ? script.getAttribute('data-clerk-publishable-key') : null;

  /**
   * Whether a host name (no port; IPv6 in brackets or not) is loopback, as
   * the app's own key parser decides: localhost and *.localhost, 127.0.0.0/8,
   * and ::1 as written.
   */
  function isLoopbackHost(hostname) {
    var host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return host === 'localhost' || /\.localhost$/.test(host) || host === '::1' ||
      /^127(\.\d{1,3}){3}$/.test(host);
  }

  /** The frontend API origin named by a publishable key, or an Error. */
  function frontendApiFromKey(key) {
    var match = /^pk_(test|live)_([A-Za-z0-9+/=_-]+)$/.exec(key || '');
    if (!match) {
      return new Error('Clerk: missing or malformed publishable key "' + (key || '') +
        '": add data-clerk-publishable-key="pk_test_…" to the clerk.browser.js script tag');
    }
    var shape = 'a key is "pk_test_" or "pk_live_" followed by the base64 of ' +
      '"<frontend-api-host>$", where the host has a "." in it (clerk.example.com) or is a ' +
      'loopback host (127.0.0.1:8787, localhost:8787, [::1]:8787). Use the key from your ' +
      'Clerk dashboard, or the CLERK_PUBLISHABLE_KEY the emulator prints';
    var encoded = match[2].replace(/-/g, '+').replace(/_/g, '/');
    while (encoded.length % 4) encoded += '=';
    var decoded;
    try {
      decoded = atob(encoded);
    } catch (err) {
      return new Error('Clerk: the publishable key "' + key + '" is not valid base64; ' + shape);
    }
    var problem = null;
    var host = decoded.slice(0, -1);
    if (decoded.slice(-1) !== '$') {
      problem = 'does not end with "$"';
    } else if (!host) {
      problem = 'names no host';
    } else if (/[^A-Za-z0-9.\-:\[\]_]/.test(host)) {
      problem = 'has characters a host cannot have';
    } else if (host.indexOf('.') < 0 && !isLoopbackHost(host.replace(/:\d+$/, ''))) {
      problem = 'names a host with no "." that is not a loopback host';
    }
    if (problem) {
      return new Error('Clerk: the publishable key "' + key + '" decodes to ' +
        JSON.stringify(decoded) + ', which ' + problem + '; ' + shape);
    }
    var hostname = host.replace(/:\d+$/, '');
    return (isLoopbackHost(hostname) ? 'http://' : 'https://') + host;
  }

  /** An error answered by the emulator, with Clerk's `errors` array. */
  function ClerkApiError(status, body) {
    var first = body && Array.isArray(body.errors) && body.errors[0] ? body.errors[0] : {};
    var message = first.long_message || first.message || 'Clerk emulator request failed (HTTP ' + status + ')';
    var err = new Error(message);
    err.name = 'ClerkAPIResponseError';
    err.status = status;
    err.clerkError = true;
    err.errors = (body && Array.isArray(body.errors) ? body.errors : []).map(function (e) {
      return { code: e.code, message: e.message, longMessage: e.long_message, meta: e.meta || {} };
    });
    return err;
  }

  /** Whether an error means the browser's session is gone. */
  function isSignedOutError(err) {
    return !!err && err.clerkError === true && (err.status === 401 || err.status === 403 || err.status === 404);
  }

  function expiryMsOf(jwt) {
    try {
      var payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      while (payload.length % 4) payload += '=';
      var exp = JSON.parse(atob(payload)).exp;
      if (typeof exp === 'number') return exp * 1000;
    } catch (err) {
      // Fall through to Clerk's default lifetime.
    }
    return Date.now() + 60000;
  }

  function toDate(ms) {
    return typeof ms === 'number' ? new Date(ms) : null;
  }

  function takeTicketFromUrl() {
    var url;
    try {
      url = new URL(location.href);
    } catch (err) {
      return null;
    }
    var ticket = url.searchParams.get(TICKET_PARAM);
    if (!ticket) return null;
    // Strip it at once, so a reload or a shared link never replays it.
    url.searchParams.delete(TICKET_PARAM);
    try {
      history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    } catch (err) {
      // Not fatal: the ticket is single-use anyway.
    }
    return ticket;
  }

  function Clerk(publishableKey) {
    var self = this;
    var frontendApi = frontendApiFromKey(publishableKey);
    var keyError = frontendApi instanceof Error ? frontendApi : null;
    if (keyError) frontendApi = '';
    var storageKey = '__clerk_emulator_session:' + frontendApi;

    var state = {
      loaded: false,
      status: 'loading',
      user: undefined,
      session: undefined,
      client: undefined
    };
    var listeners = [];
    var loadPromise = null;
    var uiCtor = null;
    var ui = null;
    var credentials = null; // { session_id, session_secret }
    var tokenCache = null; // { sessionId, jwt, expMs }
    var tokenFetch = null;
    // Test hook: how many getToken() calls answer null (see __emulator).
    var withheldTokens = 0;
    // Test hook: calls whose next use never settles (see __emulator).
    var stalling = { signOut: false, getToken: false };
    // Test hook: the message the next signOut() fails with (see __emulator).
    var failingSignOut = null;
    // Test hook: the message the next openSignIn() throws (see __emulator).
    var failingOpenSignIn = null;
    var refreshTimer = null;
    // Whether background refreshes have been failing (said once per run).
    var refreshFailing = false;
    // Set once the page starts to unload (a navigation loading a new page):
    // as in clerk-js, a transition then leaves the state alone.
    var unloading = false;
    window.addEventListener('beforeunload', function () { unloading = true; });
    // Where signOut() without a callback goes, as in clerk-js.
    var afterSignOutUrl = '/';
    // load()'s routerPush, if given. (Its routerReplace is for flows the
    // stand-in does not have.)
    var routerPush = null;

    // --- storage -----------------------------------------------------------

    function readCredentials() {
      try {
        var raw = window.localStorage.getItem(storageKey);
        if (!raw) return null;
        var parsed = JSON.parse(raw);
        if (parsed && typeof parsed.session_id === 'string' && typeof parsed.session_secret === 'string') {
          return { session_id: parsed.session_id, session_secret: parsed.session_secret };
        }
      } catch (err) {
        // Unreadable storage counts as signed out.
      }
      return null;
    }

    function writeCredentials(creds) {
      credentials = creds;
      try {
        window.localStorage.setItem(storageKey, JSON.stringify(creds));
      } catch (err) {
        console.warn('[Clerk emulator] cannot keep the session in localStorage; it will not survive a reload', err);
      }
    }

    /** Forgets `creds` locally, unless another tab already replaced them. */
    function forgetCredentials(creds) {
      if (credentials === creds) credentials = null;
      try {
        var stored = readCredentials();
        if (stored && creds && stored.session_id === creds.session_id) {
          window.localStorage.removeItem(storageKey);
        }
      } catch (err) {
        // Nothing stored, nothing to forget.
      }
    }

    // --- HTTP --------------------------------------------------------------

    /**
     * POSTs `body` to the emulator. With `timeLimitMs`, rejects once it has
     * waited that long for an answer (a fetch alone may wait for minutes);
     * the request itself goes on, for the server may have acted on it
     * already (a slow emulator, not a stopped one), and an answer that
     * comes later goes to `lateAnswer`.
     */
    function post(path, body, timeLimitMs, lateAnswer) {
      if (!timeLimitMs) return send(path, body);
      var late = false;
      var timer = null;
      var timedOut = new Promise(function (resolve, reject) {
        timer = setTimeout(function () {
          late = true;
          reject(new Error('The Clerk emulator at ' + frontendApi + ' did not answer within ' +
            timeLimitMs / 1000 + ' seconds. Check that the emulator is running, then try again.'));
        }, timeLimitMs);
      });
      var answer = send(path, body);
      answer.then(function (value) {
        if (late && lateAnswer) lateAnswer(value);
      }, function () {});
      return Promise.race([answer, timedOut])
        .then(function (value) {
          clearTimeout(timer);
          return value;
        }, function (err) {
          clearTimeout(timer);
          throw err;
        });
    }

    function send(path, body) {
      return fetch(frontendApi + path, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body)
      }).catch(function (err) {
        // With what to do, as clerk-js's own network errors say to try again.
        throw new Error('Clerk emulator unreachable at ' + frontendApi + ' (' + (err && err.message) + '). ' +
          'Check that the emulator is running, then try again.');
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (json) {
          if (!response.ok) throw ClerkApiError(response.status, json);
          return json;
        });
      });
    }

    // --- state -------------------------------------------------------------

    function buildUser(json) {
      var emails = (json.email_addresses || []).map(function (e) {
        return {
          id: e.id,
          emailAddress: e.email_address,
          verification: { status: 'verified', strategy: 'admin' },
          toString: function () { return e.email_address; }
        };
      });
      var primary = emails.filter(function (e) { return e.id === json.primary_email_address_id; })[0] || emails[0] || null;
      var first = json.first_name || null;
      var last = json.last_name || null;
      var fullName = [first, last].filter(Boolean).join(' ') || null;
      return {
        id: json.id,
        firstName: first,
        lastName: last,
        fullName: fullName,
        username: null,
        imageUrl: '',
        hasImage: false,
        primaryEmailAddressId: primary ? primary.id : null,
        primaryEmailAddress: primary,
        emailAddresses: emails,
        publicMetadata: {},
        unsafeMetadata: {},
        createdAt: toDate(json.created_at),
        updatedAt: toDate(json.updated_at),
        lastSignInAt: toDate(json.last_sign_in_at)
      };
    }

    function buildSession(json, user) {
      var session = {
        id: json.id,
        status: 'active',
        user: user,
        actor: null,
        lastActiveAt: toDate(json.last_active_at),
        expireAt: toDate(json.expire_at),
        createdAt: toDate(json.created_at),
        getToken: function (options) {
          return getToken(session, options);
        },
        end: function () {
          // Ends the session without going anywhere, as clerk-js's does.
          return self.signOut(function () {}, { sessionId: session.id });
        }
      };
      return session;
    }

    function clientFor(session) {
      var sessions = session ? [session] : [];
      return {
        sessions: sessions,
        signedInSessions: sessions,
        activeSessions: sessions,
        lastActiveSessionId: session ? session.id : null
      };
    }

    function setSignedIn(data) {
      if (state.session && state.session.id !== data.session.id) clearTokens();
      var user = buildUser(data.user);
      var session = buildSession(data.session, user);
      state.user = user;
      state.session = session;
      state.client = clientFor(session);
      // However the session came (restored, picked, a ticket, another
      // tab): a token is kept fresh from now on (see refreshIn).
      if (!tokenCache) refreshIn(TOKEN_POLL_MS);
    }

    function setSignedOut() {
      clearTokens();
      state.user = null;
      state.session = null;
      state.client = clientFor(null);
    }

    function clearTokens() {
      tokenCache = null;
      tokenFetch = null;
      if (refreshTimer !== null) {
        clearTimeout(refreshTimer);
        refreshTimer = null;
      }
    }

    function snapshot() {
      return { client: state.client, session: state.session, user: state.user, organization: null };
    }

    function callListener(listener) {
      try {
        listener(snapshot());
      } catch (err) {
        console.error('[Clerk emulator] a listener threw', err);
      }
    }

    function emit() {
      listeners.slice().forEach(callListener);
    }

    /**
     * Checks stored credentials with the emulator: signed in if the session
     * is live, signed out (and storage cleared) if the emulator says it is
     * gone. Network failures are thrown.
     */
    function restore(creds) {
      return post('/__emulator/client/session', creds).then(function (data) {
        credentials = creds;
        setSignedIn(data);
      }, function (err) {
        // A 422: the emulator cannot read the stored credentials at all
        // (blank, or longer than any id it makes). They can never work, so
        // they count as none, as unknown ones do; kept, every load would
        // fail on them until the site's data was cleared.
        var unreadable = !!err && err.clerkError === true && err.status === 422;
        if (!isSignedOutError(err) && !unreadable) throw err;
        forgetCredentials(creds);
        setSignedOut();
      });
    }

    // --- tokens ------------------------------------------------------------

    /**
     * Keeps a fresh token in the background, as clerk-js does whether or not
     * the page asks for one: a session revoked on the server shows as signed
     * out within a token's lifetime. A refresh that fails is tried again.
     */
    function refreshIn(delay) {
      if (refreshTimer !== null) clearTimeout(refreshTimer);
      refreshTimer = setTimeout(function () {
        refreshTimer = null;
        if (!credentials) return;
        fetchToken().catch(function (err) {
          if (!refreshFailing) {
            console.warn('[Clerk emulator] background token refresh failed; trying again every ' +
              TOKEN_POLL_MS / 1000 + ' s', err);
          }
          refreshFailing = true;
          refreshIn(TOKEN_POLL_MS);
        });
      }, delay);
    }

    function scheduleRefresh(expMs) {
      refreshFailing = false;
      refreshIn(Math.max(expMs - Date.now() - TOKEN_REFRESH_BEFORE_MS, 1000));
    }

    function fetchToken() {
      if (tokenFetch) return tokenFetch;
      var creds = credentials;
      if (!creds) return Promise.resolve(null);
      var pending = post('/__emulator/client/token', creds).then(function (data) {
        if (credentials !== creds) return null;
        var expMs = expiryMsOf(data.jwt);
        tokenCache = { sessionId: creds.session_id, jwt: data.jwt, expMs: expMs };
        scheduleRefresh(expMs);
        return data.jwt;
      }, function (err) {
        if (isSignedOutError(err) && credentials === creds) {
          // Revoked or ended elsewhere: show the person as signed out.
          forgetCredentials(creds);
          setSignedOut();
          emit();
          return null;
        }
        throw err;
      });
      tokenFetch = pending;
      var clear = function () {
        if (tokenFetch === pending) tokenFetch = null;
      };
      pending.then(clear, clear);
      return pending;
    }

    function getToken(session, options) {
      options = options || {};
      if (stalling.getToken) {
        stalling.getToken = false;
        return new Promise(function () {});
      }
      if (options.template) {
        return Promise.reject(new Error('The Clerk emulator has no JWT templates; call getToken() without "template"'));
      }
      if (!state.session || state.session !== session || !credentials) return Promise.resolve(null);
      if (withheldTokens > 0) {
        withheldTokens -= 1;
        return Promise.resolve(null);
      }
      var cached = tokenCache;
      if (!options.skipCache && cached && cached.sessionId === session.id &&
          cached.expMs - Date.now() > TOKEN_MIN_REMAINING_MS) {
        return Promise.resolve(cached.jwt);
      }
      if (options.skipCache && tokenFetch) {
        // A fetch already under way may have started before the caller's
        // reason to skip the cache; wait for it, then fetch anew.
        return tokenFetch.catch(function () { return null; }).then(function () {
          return state.session === session ? fetchToken() : null;
        });
      }
      return fetchToken();
    }

    // --- sign-in and sign-out ----------------------------------------------

    /**
     * Signs in as `account` ({user_id} or {email_address, first_name,
     * last_name}). With `navigateTo` (the modal's sign-in), as
     * clerk-js's setActive with a redirect URL: in transition while it
     * navigates there, then signed in.
     */
    function signInWith(account, navigateTo) {
      // A sign-in that answers after the picker gave up made a session
      // nobody holds: it is ended, not left live on the dashboard.
      var endLateSession = function (data) {
        post('/__emulator/client/sign-out', {
          session_id: data.session.id,
          session_secret: data.session_secret
        }).catch(function () {});
      };
      return post('/__emulator/client/sign-in', account, SIGN_IN_TIME_LIMIT_MS, endLateSession).then(function (data) {
        var previous = credentials;
        writeCredentials({ session_id: data.session.id, session_secret: data.session_secret });
        if (previous && previous.session_id !== data.session.id) {
          post('/__emulator/client/sign-out', previous).catch(function () {});
        }
        if (navigateTo === undefined) {
          setSignedIn(data);
          emit();
          return undefined;
        }
        return inTransition(function () { return navigate(navigateTo); }, function () {
          if (credentials && credentials.session_id === data.session.id) setSignedIn(data);
        });
      });
    }

    /**
     * As clerk-js's setActive and signOut do around a navigation or a
     * callback: `user` and `session` read `undefined` (in transition) while
     * `work` runs, then `settle` sets the new state; listeners hear of both.
     */
    function inTransition(work, settle) {
      state.user = undefined;
      state.session = undefined;
      emit();
      function done() {
        if (unloading) return;
        settle();
        emit();
      }
      // Work that fails leaves the transition unsettled, as in clerk-js.
      return Promise.resolve().then(work).then(done);
    }

    // A change made by another tab while this one is still loading could be
    // undone by the load's own answer (started before it): look again once
    // loaded.
    var storageChangedWhileLoading = false;

    function onStorage(event) {
      if (!state.loaded) {
        storageChangedWhileLoading = true;
        return;
      }
      if (event.storageArea && event.storageArea !== window.localStorage) return;
      if (event.key !== null && event.key !== storageKey) return;
      var stored = readCredentials();
      if (!stored) {
        if (state.session !== null || credentials) followSignOut(credentials);
        return;
      }
      if (credentials && stored.session_id === credentials.session_id) return;
      // Another tab signed in (perhaps as someone else): follow it.
      restore(stored).then(function () {
        // As clerk-js, whose sign-in modal does not stay open over a
        // session: an account chosen in it would switch every tab.
        if (state.session) self.closeSignIn();
        emit();
      }, function (err) {
        console.warn('[Clerk emulator] cannot follow the sign-in of another tab', err);
      });
    }

    /**
     * Another tab signed out: as clerk-js, ask the server about the session
     * first (so other tabs show a sign-out one round trip after the tab that
     * made it), and stay signed in if it is still active there.
     */
    function followSignOut(creds) {
      var asked = creds
        ? post('/__emulator/client', creds).then(function (data) {
          return !(data && data.session && data.session.status === 'active');
        }, function () {
          return true;
        })
        : Promise.resolve(true);
      asked.then(function (over) {
        // Changed meanwhile (a sign-in here or in another tab): that wins.
        if (!over || credentials !== creds || readCredentials()) return;
        credentials = null;
        setSignedOut();
        emit();
      });
    }

    function ensureLoaded() {
      if (state.loaded) return Promise.resolve();
      if (loadPromise) return loadPromise;
      return Promise.reject(new Error('Clerk: call Clerk.load() first'));
    }

    function getUi() {
      if (ui) return ui;
      if (typeof uiCtor !== 'function') return null;
      try {
        ui = new uiCtor({ frontendApi: frontendApi });
      } catch (err) {
        console.error('[Clerk emulator] cannot create the UI', err);
        ui = null;
      }
      return ui;
    }

    /** Goes to `to` as clerk-js's navigate() does (see the top of this file). */
    function navigate(to) {
      var url = new URL(absoluteUrl(to));
      // As clerk-js: a URL that would run script here (from a redirect an
      // app took from a link, say) goes home instead.
      if (/^(javascript|data|vbscript):$/.test(url.protocol)) {
        console.warn('Clerk: "' + url.protocol + '" is not a valid protocol. Redirecting to "/" instead.');
        url = new URL('/', location.href);
      }
      if (url.origin !== location.origin || !routerPush) {
        location.assign(url.href);
        return Promise.resolve();
      }
      return Promise.resolve(routerPush(url.pathname + url.search + url.hash));
    }

    function absoluteUrl(url) {
      try {
        return new URL(url, location.href).href;
      } catch (err) {
        return location.href;
      }
    }

    function load(options) {
      options = options || {};
      if (keyError) {
        state.status = 'error';
        return Promise.reject(keyError);
      }
      uiCtor = (options.ui && options.ui.ClerkUI) || window.__internal_ClerkUICtor || null;
      if (typeof options.afterSignOutUrl === 'string' && options.afterSignOutUrl) {
        afterSignOutUrl = options.afterSignOutUrl;
      }
      if (typeof options.routerPush === 'function') routerPush = options.routerPush;
      window.addEventListener('storage', onStorage);

      var ticket = takeTicketFromUrl();
      var stored = readCredentials();
      var start = Promise.resolve();
      if (ticket) {
        start = post('/__emulator/client/tickets', { ticket: ticket }).then(function (data) {
          writeCredentials({ session_id: data.session.id, session_secret: data.session_secret });
          setSignedIn(data);
          if (stored && stored.session_id !== data.session.id) {
            post('/__emulator/client/sign-out', stored).catch(function () {});
          }
        }, function (err) {
          if (!err || !err.clerkError) throw err;
          console.warn('[Clerk emulator] ' + err.message);
        });
      }
      return start.then(function () {
        if (state.session) return undefined;
        var creds = readCredentials();
        return creds ? restore(creds) : undefined;
      }).then(function () {
        if (!state.session) setSignedOut();
        state.loaded = true;
        state.status = 'ready';
        emit();
        if (storageChangedWhileLoading) {
          storageChangedWhileLoading = false;
          onStorage({ key: storageKey });
        }
      }, function (err) {
        state.status = 'error';
        throw err;
      });
    }

    // --- public surface ----------------------------------------------------

    Object.defineProperties(this, {
      version: { get: function () { return VERSION; }, enumerable: true },
      publishableKey: { get: function () { return publishableKey || ''; }, enumerable: true },
      frontendApi: { get: function () { return frontendApi; }, enumerable: true },
      loaded: { get: function () { return state.loaded; }, enumerable: true },
      status: { get: function () { return state.status; }, enumerable: true },
      user: { get: function () { return state.user; }, enumerable: true },
      session: { get: function () { return state.session; }, enumerable: true },
      client: { get: function () { return state.client; }, enumerable: true },
      organization: { get: function () { return state.loaded ? null : undefined; }, enumerable: true },
      isSignedIn: { get: function () { return !!state.session; }, enumerable: true }
    });

    /** Loads the session of this origin; resolves once `status` is "ready". */
    this.load = function (options) {
      if (!loadPromise) loadPromise = load(options);
      return loadPromise;
    };

    /** Calls `listener` now (if loaded) and after every change; returns an unsubscribe function. */
    this.addListener = function (listener) {
      if (typeof listener !== 'function') throw new TypeError('Clerk.addListener needs a function');
      listeners.push(listener);
      if (state.loaded) callListener(listener);
      return function unsubscribe() {
        var index = listeners.indexOf(listener);
        if (index >= 0) listeners.splice(index, 1);
      };
    };

    /** The URL of the emulator's /sign-in page that comes back to `redirectUrl` (default: here). */
    this.buildSignInUrl = function (options) {
      options = options || {};
      var target = options.signInForceRedirectUrl || options.forceRedirectUrl || options.redirectUrl ||
        options.signInFallbackRedirectUrl || options.fallbackRedirectUrl || location.href;
      return frontendApi + '/sign-in?redirect_url=' + encodeURIComponent(absoluteUrl(target));
    };

    /** Goes to the emulator's /sign-in page, which comes back here signed in. */
    this.redirectToSignIn = function (options) {
      location.assign(self.buildSignInUrl(options));
      return Promise.resolve();
    };

    /** Opens the account picker as a modal (or redirects when no UI was given to load). */
    this.openSignIn = function (props) {
      if (failingOpenSignIn !== null) {
        var failure = failingOpenSignIn;
        failingOpenSignIn = null;
        throw new Error(failure);
      }
      if (state.loaded && state.session) {
        // As clerk-js does for a development instance (a production one
        // returns quietly): the modal does not open over a session.
        var signedIn = new Error('The SignIn or SignUp modals do not render when a user is ' +
          'already signed in, unless the application allows multiple sessions. Since a user ' +
          'is signed in and this application only allows a single session, this is no-op.');
        signedIn.code = 'cannot_render_single_session_enabled';
        throw signedIn;
      }
      props = props || {};
      var openedOn = location.href;
      ensureLoaded().then(function () {
        if (state.session) {
          console.warn('[Clerk emulator] openSignIn: already signed in (single-session mode)');
          return;
        }
        var picker = getUi();
        if (!picker) {
          self.redirectToSignIn(props);
          return;
        }
        picker.openSignIn({
          appLabel: location.host,
          onAccount: function (account) {
            // clerk-js's default for its modal: the page it opened on.
            var target = props.forceRedirectUrl || props.signInForceRedirectUrl ||
              props.fallbackRedirectUrl || props.signInFallbackRedirectUrl || props.redirectUrl ||
              openedOn;
            return signInWith(account, target).then(function () {
              picker.closeSignIn();
            });
          }
        });
      }, function (err) {
        console.error('[Clerk emulator] openSignIn: Clerk did not load', err);
      });
    };

    /** Closes the sign-in modal if it is open. */
    this.closeSignIn = function () {
      if (ui) ui.closeSignIn();
    };

    /**
     * Ends the session on the emulator, then here; other tabs of this origin
     * follow. Accepts `(options)`, `(callback)` or `(callback, options)`;
     * options: `sessionId`, `redirectUrl`. Then, as clerk-js does, calls the
     * callback, or else navigates to `redirectUrl` or `afterSignOutUrl`
     * (default "/").
     */
    this.signOut = function (first, second) {
      var callback = typeof first === 'function' ? first : (typeof second === 'function' ? second : null);
      var options = (first && typeof first === 'object') ? first : ((second && typeof second === 'object') ? second : {});
      if (stalling.signOut) {
        stalling.signOut = false;
        return new Promise(function () {});
      }
      return ensureLoaded().then(function () {
        if (failingSignOut !== null) {
          var message = failingSignOut;
          failingSignOut = null;
          throw new Error(message);
        }
        var creds = credentials;
        // Nobody to sign out here: nothing happens, as in clerk-js.
        if (!creds || (options.sessionId && options.sessionId !== creds.session_id)) return undefined;
        // As clerk-js: a sign-out the server did not take rejects, and the
        // session stays here; one the server had already ended goes on.
        return post('/__emulator/client/sign-out', creds).catch(function (err) {
          if (!isSignedOutError(err)) throw err;
        }).then(function () {
          function afterwards() {
            return callback ? callback() : navigate(options.redirectUrl || afterSignOutUrl);
          }
          // Signed in again meanwhile (another tab): nothing to show here.
          if (credentials !== creds) return afterwards();
          forgetCredentials(creds);
          return inTransition(afterwards, function () {
            if (!credentials) setSignedOut();
          });
        });
      });
    };

    /** Emulator-only helpers for tests. */
    this.__emulator = Object.freeze({
      /**
       * Signs in as the user with `emailAddress` (created with the names if
       * new) through the same path as the picker; resolves once `user` and
       * `session` are set and listeners were told.
       */
      signIn: function (params) {
        return ensureLoaded().then(function () {
          if (!params || typeof params.emailAddress !== 'string' || !params.emailAddress.trim()) {
            throw new TypeError('Clerk.__emulator.signIn needs { emailAddress, firstName?, lastName? }');
          }
          return signInWith({
            email_address: params.emailAddress.trim(),
            first_name: params.firstName || null,
            last_name: params.lastName || null
          });
        });
      },
      /**
       * Makes the next `count` getToken() calls of a signed-in session
       * answer null, as clerk-js can just after a sign-in while the session
       * is still being set. 0 ends it.
       */
      withholdTokens: function (count) {
        var n = Math.floor(Number(count));
        if (!(n >= 0)) throw new TypeError('Clerk.__emulator.withholdTokens needs a count of 0 or more');
        withheldTokens = n;
      },
      /** How many of the withheld getToken() answers are still to come. */
      tokensWithheld: function () {
        return withheldTokens;
      },
      /**
       * Makes the next signOut() reject with `message` and leave the
       * session signed in, as clerk-js does when Clerk cannot be reached.
       */
      failNextSignOut: function (message) {
        failingSignOut = String(message || 'Network error');
      },
      /**
       * Makes the next call of `method` ('signOut' or 'getToken') return a
       * promise that never settles, as a request Clerk never answers.
       */
      stallNext: function (method) {
        if (!Object.prototype.hasOwnProperty.call(stalling, method)) {
          throw new TypeError('Clerk.__emulator.stallNext takes "signOut" or "getToken"');
        }
        stalling[method] = true;
      },
      /**
       * Makes the next openSignIn() throw `message`, as clerk-js does when
       * its UI components did not load.
       */
      failNextOpenSignIn: function (message) {
        failingOpenSignIn = String(message || 'Clerk UI components are not ready');
      },
      /** The localStorage key holding this origin's session. */
      storageKey: storageKey
    });
  }

  window.Clerk = new Clerk(scriptKey);
})();
