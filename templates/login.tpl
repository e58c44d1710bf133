{{%AUTOESCAPE context="HTML"}}
<section class="auth" aria-labelledby="login-title">
  <div class="auth-card">
    <p class="eyebrow">Welcome back</p>
    <h1 id="login-title">Log in</h1>
    <p class="auth-lede">Log in to check out, claim coupons and see your orders.</p>

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

    <form class="auth-form" method="post" action="/login">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <input type="hidden" name="next" value="{{next}}">
      <div class="field">
        <label for="login-email">Email</label>
        <input id="login-email" type="email" name="email" value="{{email}}" autocomplete="email" maxlength="254" inputmode="email" spellcheck="false" autocapitalize="off" required>
      </div>
      <div class="field">
        <div class="field-label-row">
          <label for="login-password">Password</label>
          <a class="field-link" href="/forgot-password">Forgot your password?</a>
        </div>
        <input id="login-password" type="password" name="password" autocomplete="current-password" maxlength="200" required>
      </div>
      <button type="submit" class="btn btn-primary btn-block">Log in</button>
    </form>

    <p class="auth-switch">New to {{site}}? <a href="/signup">Create an account</a></p>
  </div>
</section>
