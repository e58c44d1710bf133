{{%AUTOESCAPE context="HTML"}}
<section class="auth" aria-labelledby="reset-title">
  <div class="auth-card">
    <h1 id="reset-title">Choose a new password</h1>
    <p class="auth-lede">Pick a password you don&rsquo;t use on any other site. You&rsquo;ll log in with it from now on.</p>

    {{#error}}
    <div class="alert alert-error" role="alert">
      <p>{{message}}</p>
    </div>
    {{/error}}

    <form class="auth-form" method="post" action="/reset-password">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <input type="hidden" name="token" value="{{token}}">
      <div class="field">
        <label for="reset-password">New password</label>
        <input id="reset-password" type="password" name="password" autocomplete="new-password" minlength="8" maxlength="200" aria-describedby="reset-password-hint" required>
        <p class="field-hint" id="reset-password-hint">At least 8 characters.</p>
      </div>
      <div class="field">
        <label for="reset-password-confirm">Confirm new password</label>
        <input id="reset-password-confirm" type="password" name="password_confirm" autocomplete="new-password" minlength="8" maxlength="200" required>
      </div>
      <button type="submit" class="btn btn-primary btn-block">Change password</button>
    </form>

    <p class="auth-switch">Link expired? <a href="/forgot-password">Request a new one</a></p>
  </div>
</section>
