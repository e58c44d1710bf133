{{%AUTOESCAPE context="HTML"}}
<section class="auth" aria-labelledby="forgot-title">
  <div class="auth-card">
    <h1 id="forgot-title">Forgot your password?</h1>
    <p class="auth-lede">Enter the email address you signed up with. If it has an account, we&rsquo;ll mail you a link to choose a new password.</p>

    {{#error}}
    <div class="alert alert-error" role="alert">
      <p>{{message}}</p>
    </div>
    {{/error}}

    <form class="auth-form" method="post" action="/forgot-password">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="field">
        <label for="forgot-email">Email</label>
        <input id="forgot-email" type="email" name="email" value="{{email}}" autocomplete="email" maxlength="254" inputmode="email" spellcheck="false" autocapitalize="off" required>
      </div>
      <button type="submit" class="btn btn-primary btn-block">Email me a reset link</button>
    </form>

    <p class="auth-switch">Remembered it? <a href="/login">Log in</a></p>
  </div>
</section>
