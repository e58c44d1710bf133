{{%AUTOESCAPE context="HTML"}}
<section class="message-page message-{{tone}}" aria-labelledby="message-title">
  <span class="message-icon" aria-hidden="true"></span>
  <h1 id="message-title">{{heading}}</h1>
  <p class="message-text">{{message}}</p>
  {{#link}}
  <p class="message-actions">
    <a class="btn btn-primary" href="{{href}}">{{label}}</a>
  </p>
  {{/link}}
</section>
