{{%AUTOESCAPE context="HTML"}}
<section class="auth" aria-labelledby="signup-title">
  <div class="auth-card">
    <p class="eyebrow">New here?</p>
    <h1 id="signup-title">Create your account</h1>
    <p class="auth-lede">One account for flash sales, coupon drops and your orders. We&rsquo;ll send a link to confirm your email address.</p>

    {{#error}}
    <div class="alert alert-error" role="alert">
      <p>{{message}}</p>
    </div>
    {{/error}}

    <form class="auth-form" method="post" action="/signup">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="field">
        <label for="signup-name">Name</label>
        <input id="signup-name" type="text" name="name" value="{{name}}" autocomplete="name" maxlength="100" required>
      </div>
      <div class="field">
        <label for="signup-email">Email</label>
        <input id="signup-email" type="email" name="email" value="{{email}}" autocomplete="email" maxlength="254" inputmode="email" spellcheck="false" autocapitalize="off" required>
      </div>
      <div class="field">
        <label for="signup-password">Password</label>
        <input id="signup-password" type="password" name="password" autocomplete="new-password" minlength="8" maxlength="200" aria-describedby="signup-password-hint" required>
        <p class="field-hint" id="signup-password-hint">At least 8 characters.</p>
      </div>
      <button type="submit" class="btn btn-primary btn-block">Create account</button>
    </form>

    <p class="auth-switch">Already have an account? <a href="/login">Log in</a></p>
  </div>
</section>
