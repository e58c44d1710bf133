{{%AUTOESCAPE context="HTML"}}
<section class="error-page" aria-labelledby="error-title">
  <p class="error-status" aria-hidden="true">{{status}}</p>
  <h1 id="error-title">{{reason}}</h1>
  <p class="error-message">{{message}}</p>
  <p class="error-code">Error {{status}} &middot; <code>{{code}}</code></p>
  <p class="error-actions">
    <a class="btn btn-primary" href="/">Go to the home page</a>
    <a class="btn" href="/products">Browse products</a>
  </p>
</section>
