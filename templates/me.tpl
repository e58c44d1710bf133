{{%AUTOESCAPE context="HTML"}}
{{#profile}}
<div class="page-head account-head">
  <div>
    <p class="eyebrow">Your account</p>
    <h1>{{name}}</h1>
  </div>
  <p class="account-since">
    <span class="badge badge-neutral">{{role}}</span>
    <span>Member since <time datetime="{{created_at}}" data-utc="{{created_at}}">{{created_at}}</time></span>
  </p>
</div>

<div class="account-layout">
  <section class="panel" aria-labelledby="profile-title">
    <h2 id="profile-title">Profile</h2>
    <p class="panel-note">Your name, phone and address are used for delivery of your orders.</p>

    {{#notice}}
    <div class="alert alert-success" role="status">
      <p>{{message}}</p>
    </div>
    {{/notice}}
    {{#error}}
    <div class="alert alert-error" role="alert">
      <p>{{message}}</p>
    </div>
    {{/error}}

    <form class="stack-form" method="post" action="/me">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="field">
        <div class="field-label-row">
          <label for="me-email">Email</label>
          {{#verified}}<span class="badge badge-verified"><svg viewBox="0 0 12 12" width="11" height="11" aria-hidden="true" focusable="false"><path d="M2.5 6.3l2.2 2.2 4.8-5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>Verified</span>{{/verified}}
          {{#no_verified}}<span class="badge badge-unverified">Not confirmed</span>{{/no_verified}}
        </div>
        <input id="me-email" type="email" value="{{email}}" autocomplete="email" readonly aria-describedby="me-email-hint">
        <p class="field-hint" id="me-email-hint">You log in with this address. It can&rsquo;t be changed here.</p>
      </div>
      {{#no_verified}}
      <div class="alert alert-info">
        <p>Confirm your email address: we sent you a link.</p>
      </div>
      {{/no_verified}}
      <div class="field">
        <label for="me-name">Name</label>
        <input id="me-name" type="text" name="name" value="{{name}}" autocomplete="name" maxlength="100" required>
      </div>
      <div class="field">
        <label for="me-phone">Phone <span class="optional">(optional)</span></label>
        <input id="me-phone" type="tel" name="phone" value="{{phone}}" autocomplete="tel" maxlength="32" inputmode="tel">
      </div>
      <div class="field">
        <label for="me-address">Delivery address <span class="optional">(optional)</span></label>
        <textarea id="me-address" name="address" rows="3" autocomplete="street-address" maxlength="500">{{address:pre_escape}}</textarea>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary">Save profile</button>
      </div>
    </form>
  </section>

  <div class="account-side">
    <section class="panel" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>

      {{#password_notice}}
      <div class="alert alert-success" role="status">
        <p>{{message}}</p>
      </div>
      {{/password_notice}}
      {{#password_error}}
      <div class="alert alert-error" role="alert">
        <p>{{message}}</p>
      </div>
      {{/password_error}}

      <form class="stack-form" method="post" action="/me/password">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="email" value="{{email}}" autocomplete="username" hidden>
        <div class="field">
          <label for="me-current-password">Current password</label>
          <input id="me-current-password" type="password" name="current_password" autocomplete="current-password" maxlength="200" required>
        </div>
        <div class="field">
          <label for="me-new-password">New password</label>
          <input id="me-new-password" type="password" name="new_password" autocomplete="new-password" minlength="8" maxlength="200" aria-describedby="me-new-password-hint" required>
          <p class="field-hint" id="me-new-password-hint">At least 8 characters.</p>
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-dark">Change password</button>
        </div>
      </form>
    </section>

    <section class="panel" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p class="panel-note">Logged in on a shared or lost device? Log out of every browser and device at once, including this one.</p>
      <form method="post" action="/logout-all">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" class="btn">Log out everywhere</button>
      </form>
    </section>
  </div>
</div>
{{/profile}}
