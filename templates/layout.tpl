{{%AUTOESCAPE context="HTML"}}
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="theme-color" content="#c2410c">
<title>{{title}} · {{site}}</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="/static/css/site.css">
<script src="/static/js/site.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <div class="container header-inner">
    <a class="brand" href="/" aria-label="{{site}} home">
      <svg class="brand-mark" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="currentColor"/><path d="M18.5 5 9 18h6l-2 9 10-13.5h-6.2z" fill="#fff"/></svg>
      <span class="brand-name">{{site}}</span>
    </a>
    <nav class="site-nav" aria-label="Main">
      <ul>
        <li><a href="/">Home</a></li>
        <li><a href="/products">Products</a></li>
        <li><a href="/coupons">Coupons</a></li>
        <li><a href="/cart">Cart</a></li>
        <li><a href="/orders">Orders</a></li>
        {{#user}}{{#admin}}<li><a href="/admin">Admin</a></li>{{/admin}}{{/user}}
      </ul>
    </nav>
    <div class="account">
      {{#user}}
      <a class="account-name" href="/me" title="{{email}}">{{name}}</a>
      <form class="logout-form" method="post" action="/logout">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" class="btn btn-ghost btn-sm">Log out</button>
      </form>
      {{/user}}
      {{#no_user}}
      <a class="btn btn-ghost btn-sm" href="/login">Log in</a>
      <a class="btn btn-primary btn-sm" href="/signup">Sign up</a>
      {{/no_user}}
    </div>
  </div>
</header>
<main id="main" class="container site-main" tabindex="-1">
{{>content}}
</main>
<footer class="site-footer">
  <div class="container footer-inner">
    <p>&copy; {{year}} {{site}} &middot; First come, first served. Nothing oversold.</p>
    <ul class="footer-links">
      <li><a href="/products">Products</a></li>
      <li><a href="/coupons">Coupon events</a></li>
      <li><a href="/orders">Your orders</a></li>
    </ul>
  </div>
</footer>
</body>
</html>
