{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Your account</p>
    <h1>Notifications</h1>
  </div>
  <a class="section-link" href="/orders">Your orders <span aria-hidden="true">&rarr;</span></a>
</div>

<ol class="feed" role="list" aria-label="Notifications, newest first">
  {{#items}}
  <li class="feed-item" data-kind="{{kind}}">
    <span class="feed-icon" aria-hidden="true"></span>
    <div class="feed-body">
      <p class="feed-message">{{message}}</p>
      <p class="feed-meta">
        <time datetime="{{created_at}}" data-utc="{{created_at}}">{{created_at}}</time>
        <a class="feed-order" data-order="{{order_id}}" href="/orders/{{order_id}}">View order #{{order_id}}</a>
      </p>
    </div>
  </li>
  {{/items}}
</ol>
{{#no_items}}
<div class="empty">
  <h2>No notifications yet</h2>
  <p>We let you know here when a payment goes through and when your order is prepared, shipped and delivered.</p>
  <p><a class="btn btn-primary" href="/orders">See your orders</a></p>
</div>
{{/no_items}}
