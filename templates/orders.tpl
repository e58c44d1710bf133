{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Your account</p>
    <h1>Your orders</h1>
  </div>
  <a class="section-link" href="/me/notifications">Notifications <span aria-hidden="true">&rarr;</span></a>
</div>

<div class="table-wrap orders-table">
  <table class="data-table">
    <caption class="sr-only">Your orders, newest first</caption>
    <thead>
      <tr>
        <th scope="col">Order</th>
        <th scope="col">Placed</th>
        <th scope="col" class="num">Items</th>
        <th scope="col" class="num">Total</th>
        <th scope="col">Status</th>
      </tr>
    </thead>
    <tbody>
      {{#items}}
      <tr data-status="{{status}}">
        <th scope="row" class="col-id"><a href="/orders/{{id}}">Order #{{id}}</a></th>
        <td class="col-date nowrap"><time datetime="{{created_at}}" data-utc="{{created_at}}">{{created_at}}</time></td>
        <td class="col-units num">{{units}}</td>
        <td class="col-total num nowrap">{{total:x-won}}</td>
        <td class="col-status"><span class="badge status" data-status="{{status}}">{{status:x-status}}</span></td>
      </tr>
      {{/items}}
    </tbody>
  </table>
</div>
{{#no_items}}
<div class="empty">
  <h2>No orders yet</h2>
  <p>When you check out, your orders and their delivery progress show up here.</p>
  <p><a class="btn btn-primary" href="/products">Browse products</a></p>
</div>
{{/no_items}}
