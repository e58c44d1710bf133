/* handlers.h - every route's handler, grouped by feature; the table lives in web/app.c. */
#ifndef FC_HANDLERS_H
#define FC_HANDLERS_H
#include "http/request.h"

/* ops.c */
void ops_livez(struct request *r);
void ops_healthz(struct request *r);
void ops_metrics(struct request *r);
void ops_error_page(struct request *r);

/* catalog_web.c */
void api_products_list(struct request *r);
void api_product_get(struct request *r);
void page_home(struct request *r);
void page_products(struct request *r);
void page_product(struct request *r);
void api_admin_product_picture(struct request *r);
void page_admin_product_picture(struct request *r);
void page_admin_products(struct request *r);

/* accounts_web.c */
void api_signup(struct request *r);
void api_verify(struct request *r);
void api_login(struct request *r);
void api_refresh(struct request *r);
void api_logout(struct request *r);
void api_logout_all(struct request *r);
void api_password_reset(struct request *r);
void api_password_reset_confirm(struct request *r);
void api_me(struct request *r);
void api_me_update(struct request *r);
void api_me_password(struct request *r);
void page_signup(struct request *r);
void page_login(struct request *r);
void page_logout(struct request *r);
void page_logout_all(struct request *r);
void page_verify(struct request *r);
void page_forgot(struct request *r);
void page_reset(struct request *r);
void page_me(struct request *r);
void page_me_password(struct request *r);

/* admin_web.c */
void api_admin_vendor_create(struct request *r);
void api_admin_vendors(struct request *r);
void api_admin_stats(struct request *r);
void page_admin(struct request *r);
void api_admin_parked(struct request *r);
void api_admin_parked_retry(struct request *r);
void page_admin_parked(struct request *r);
void page_admin_live(struct request *r);
void api_admin_room_create(struct request *r);
void api_admin_room_switch(struct request *r);
void page_admin_room_switch(struct request *r);
void api_room(struct request *r);
void api_room_join(struct request *r);
void api_room_place(struct request *r);
void page_room(struct request *r);
void page_room_join(struct request *r);
void page_room_leave(struct request *r);
void api_room_leave(struct request *r);
void page_room_place(struct request *r);
void api_admin_rooms(struct request *r);
void page_admin_rooms(struct request *r);
void page_admin_live_events(struct request *r);

/* coupons_web.c */
void api_coupons(struct request *r);
void api_coupon(struct request *r);
void api_coupon_claim(struct request *r);
void api_coupon_claim_status(struct request *r);
void api_my_coupons(struct request *r);
void api_admin_coupon_create(struct request *r);
void page_coupons(struct request *r);
void page_coupon(struct request *r);
void page_coupon_claim(struct request *r);
void page_my_coupons(struct request *r);
void page_admin_coupons(struct request *r);

/* orders_web.c */
void api_orders_create(struct request *r);
void api_orders(struct request *r);
void api_order(struct request *r);
void api_order_pay(struct request *r);
void api_order_cancel(struct request *r);
void api_order_return(struct request *r);
void api_cart(struct request *r);
void api_cart_put(struct request *r);
void api_cart_delete(struct request *r);
void api_like(struct request *r);
void api_my_likes(struct request *r);
void api_my_notifications(struct request *r);
void api_admin_product_create(struct request *r);
void api_admin_product_update(struct request *r);
void page_cart(struct request *r);
void page_cart_add(struct request *r);
void page_checkout(struct request *r);
void page_orders(struct request *r);
void page_order(struct request *r);
void page_order_pay(struct request *r);
void page_order_action(struct request *r);
void page_like(struct request *r);
void page_my_likes(struct request *r);
void page_my_notifications(struct request *r);

#endif
